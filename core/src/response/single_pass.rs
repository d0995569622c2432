//! The serde engine behind [`parse`](crate::parse): one pass over the body that takes the
//! envelope keys (`ok`, `error`, `warning`, `response_metadata`, `needed`, `provided`) out
//! of the stream as they go by and hands the rest to the method's response type, so unknown
//! fields are skipped, never buffered.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    self, value::BorrowedStrDeserializer, value::StringDeserializer, DeserializeSeed, Deserializer,
    IgnoredAny, MapAccess, Visitor,
};
use serde::Deserialize;

use crate::error_code::{CowStr, Warning};

/// `response_metadata`: warnings are read straight into [`Warning`]s (de-duplicated, no
/// string copies for the known ones) and messages kept.
#[derive(Default)]
struct Metadata {
    warnings: Vec<Warning>,
    messages: Vec<String>,
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Metadata;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a response_metadata object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metadata, A::Error> {
                let mut metadata = Metadata::default();
                while let Some(key) = map.next_key::<CowStr<'de>>()? {
                    match &*key.0 {
                        "warnings" => map.next_value_seed(Warnings(&mut metadata.warnings))?,
                        "messages" => {
                            metadata.messages =
                                map.next_value::<Option<Vec<String>>>()?.unwrap_or_default()
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(metadata)
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// Appends a JSON array of warning codes (or `null`) to a list, skipping duplicates.
struct Warnings<'a>(&'a mut Vec<Warning>);

impl Warnings<'_> {
    fn push(&mut self, code: &str) {
        let code = code.trim_ascii();
        if !code.is_empty() && !self.0.iter().any(|w| w.as_str() == code) {
            self.0.push(Warning::parse(code));
        }
    }
}

impl<'de> DeserializeSeed<'de> for Warnings<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Warnings<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of warning codes")
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
    fn visit_seq<S: de::SeqAccess<'de>>(mut self, mut seq: S) -> Result<(), S::Error> {
        while let Some(code) = seq.next_element::<CowStr<'de>>()? {
            self.push(&code.0);
        }
        Ok(())
    }
}

/// The envelope fields every Slack answer may carry.
#[derive(Default)]
pub(super) struct Envelope<'de> {
    pub(super) ok: Option<bool>,
    pub(super) error: Option<CowStr<'de>>,
    warning: Option<CowStr<'de>>,
    metadata: Option<Metadata>,
    pub(super) needed: Option<String>,
    pub(super) provided: Option<String>,
}

impl<'de> Envelope<'de> {
    /// Reads the value of `key` if it is an envelope key; returns `false` for other keys.
    fn take<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "ok" => self.ok = map.next_value()?,
            "error" => self.error = map.next_value()?,
            "warning" => self.warning = map.next_value()?,
            "response_metadata" => self.metadata = map.next_value()?,
            "needed" => self.needed = map.next_value()?,
            "provided" => self.provided = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Warnings from `warning` (comma-separated) first, then those only in
    /// `response_metadata.warnings`, de-duplicated. Reuses the metadata's list: one
    /// allocation at most when there is any warning, none otherwise.
    pub(super) fn take_warnings(&mut self) -> Vec<Warning> {
        let mut out = self
            .metadata
            .as_mut()
            .map(|m| std::mem::take(&mut m.warnings))
            .unwrap_or_default();
        if let Some(top) = &self.warning {
            let top = top.0.as_ref();
            // The usual case: one code, which the metadata repeats first.
            if !top.as_bytes().contains(&b',')
                && out.first().is_some_and(|w| w.as_str() == top.trim_ascii())
            {
                return out;
            }
            let mut at = 0;
            for code in top
                .split(',')
                .map(str::trim_ascii)
                .filter(|c| !c.is_empty())
            {
                match out.iter().position(|w| w.as_str() == code) {
                    Some(i) if i < at => {}
                    // Already in place (the usual case: metadata repeats the top-level code).
                    Some(i) if i == at => at += 1,
                    Some(i) => {
                        let warning = out.remove(i);
                        out.insert(at, warning);
                        at += 1;
                    }
                    None => {
                        out.insert(at, Warning::parse(code));
                        at += 1;
                    }
                }
            }
        }
        out
    }

    pub(super) fn take_messages(&mut self) -> Vec<String> {
        self.metadata
            .as_mut()
            .map(|m| std::mem::take(&mut m.messages))
            .unwrap_or_default()
    }
}

/// What the single pass made of the method's typed value.
pub(super) enum Value<T> {
    /// Never started: the answer said `ok:false` before any of the value's own fields.
    Unread,
    /// Read in full.
    Read(T),
    /// Why it could not be read, in words that never quote the body.
    Failed(String),
}

/// The single pass over `body`: fills in the envelope and the typed value.
///
/// Both are written in place rather than returned, which saves moving them (the value
/// can be a large struct) through the return slots of every serde layer.
pub(super) fn read<'de, T: Deserialize<'de>>(
    body: &'de str,
    env: &mut Envelope<'de>,
    value: &mut Value<T>,
) -> Result<(), serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(body);
    Deserializer::deserialize_map(&mut deserializer, SinglePass { env, value })?;
    deserializer.end()
}

pub(super) fn read_envelope(body: &str) -> Result<Envelope<'_>, serde_json::Error> {
    let mut env = Envelope::default();
    read::<IgnoredAny>(body, &mut env, &mut Value::Unread)?;
    Ok(env)
}

struct SinglePass<'a, 'de, T> {
    env: &'a mut Envelope<'de>,
    value: &'a mut Value<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for SinglePass<'_, 'de, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Slack answer object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let env = self.env;
        // Envelope keys ahead of the value's first field are read here. Slack writes `ok`
        // first, so an `ok:false` answer never starts the value: an error costs what its
        // envelope costs, with no half-built value and no "missing field" error to format.
        let mut first = None;
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            if !env.take(&key.0, &mut map)? {
                first = Some(key);
                break;
            }
            if env.ok == Some(false) {
                return finish_envelope(&mut map, env);
            }
        }
        let mut stream = if first.is_some() {
            Stream::Open
        } else {
            Stream::Ended
        };
        let result = T::deserialize(Intercept {
            map: &mut map,
            env: &mut *env,
            stream: &mut stream,
            pending: first,
        });
        match result {
            Ok(value) => *self.value = Value::Read(value),
            // Mid-value failure: the stream position is unknown, so give up this pass.
            Err(e) if stream == Stream::Broken => return Err(e),
            // The value gave up between keys (e.g. a required field absent on ok:false):
            // the stream is intact. After ok:false the reason is of no interest.
            Err(e) => {
                if env.ok != Some(false) {
                    *self.value = Value::Failed(describe(&e.to_string()));
                }
            }
        }
        // Intercept ends the value's map at `ok:false`, with the rest of the envelope
        // (`error`, warnings) still unread.
        if stream == Stream::Open {
            finish_envelope(&mut map, env)?;
        }
        Ok(())
    }
}

/// Reads the remaining keys of the object, keeping the envelope's and skipping the rest.
fn finish_envelope<'de, A: MapAccess<'de>>(
    map: &mut A,
    env: &mut Envelope<'de>,
) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<CowStr<'de>>()? {
        if !env.take(&key.0, map)? {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
}

/// Turns a serde error into words that quote nothing from the body: serde's
/// "invalid type: string \"xoxb-…\"" would otherwise echo a token.
pub(super) fn describe(message: &str) -> String {
    let position = message.find(" at line ").map_or("", |at| &message[at..]);
    if let Some(rest) = message.strip_prefix("missing field `") {
        if let Some(end) = rest.find('`') {
            return format!("the field `{}` is missing{position}", &rest[..end]);
        }
    }
    format!("a field has an unexpected type or value{position}")
}

/// Where the object's key stream stands while the typed value reads it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stream {
    /// Keys may remain.
    Open,
    /// The closing brace was reached.
    Ended,
    /// An error inside a value: the position is unknown.
    Broken,
}

/// Hands the method's response type every key except the envelope's, which it keeps.
struct Intercept<'a, 'de, A: MapAccess<'de>> {
    map: &'a mut A,
    env: &'a mut Envelope<'de>,
    stream: &'a mut Stream,
    /// The value's first key, already read by [`SinglePass`].
    pending: Option<CowStr<'de>>,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Intercept<'_, 'de, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Intercept<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let key = match self.pending.take() {
            Some(key) => key,
            None => loop {
                // After ok:false the value is of no use: stop feeding it and let the
                // caller read the rest of the envelope.
                if self.env.ok == Some(false) || *self.stream != Stream::Open {
                    return Ok(None);
                }
                let key = match self.map.next_key::<CowStr<'de>>() {
                    Ok(Some(key)) => key,
                    Ok(None) => {
                        *self.stream = Stream::Ended;
                        return Ok(None);
                    }
                    Err(e) => {
                        *self.stream = Stream::Broken;
                        return Err(e);
                    }
                };
                match self.env.take(&key.0, self.map) {
                    Ok(true) => continue,
                    Ok(false) => break key,
                    Err(e) => {
                        *self.stream = Stream::Broken;
                        return Err(e);
                    }
                }
            },
        };
        match key.0 {
            Cow::Borrowed(k) => seed.deserialize(BorrowedStrDeserializer::new(k)),
            Cow::Owned(k) => seed.deserialize(StringDeserializer::new(k)),
        }
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map
            .next_value_seed(seed)
            .inspect_err(|_| *self.stream = Stream::Broken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Needs {
        token: String,
        n: Option<u64>,
    }

    struct Parsed<'de, T> {
        env: Envelope<'de>,
        value: Result<T, String>,
    }

    fn parsed_as<'de, T: Deserialize<'de>>(body: &'de str) -> Parsed<'de, T> {
        let mut value = Value::Unread;
        let mut env = Envelope::default();
        read(body, &mut env, &mut value).unwrap();
        let value = match value {
            Value::Read(value) => Ok(value),
            Value::Failed(detail) => Err(detail),
            Value::Unread => Err("unread".into()),
        };
        Parsed { env, value }
    }

    fn parsed(body: &str) -> Parsed<'_, Needs> {
        parsed_as(body)
    }

    #[test]
    fn single_pass_splits_envelope_and_value() {
        let p = parsed(r#"{"ok":true,"token":"t","warning":"a,b","x":{"deep":[1,2]},"n":3}"#);
        assert_eq!(p.env.ok, Some(true));
        assert_eq!(
            p.value.unwrap(),
            Needs {
                token: "t".into(),
                n: Some(3)
            }
        );
        assert_eq!(
            { p.env }.take_warnings(),
            vec![Warning::Other("a".into()), Warning::Other("b".into())]
        );
    }

    #[test]
    fn error_first_stops_the_value_and_reads_the_rest() {
        let p = parsed(
            r#"{"ok":false,"error":"invalid_code","response_metadata":{"warnings":["missing_charset"]}}"#,
        );
        assert_eq!(p.env.error.unwrap().0, "invalid_code");
        assert_eq!(
            p.env.metadata.unwrap().warnings,
            vec![Warning::MissingCharset]
        );
        assert_eq!(
            p.value,
            Err("unread".into()),
            "ok:false first: the value is never started"
        );
    }

    #[test]
    fn type_mismatch_is_described_without_the_value() {
        let e = serde_json::from_str::<Needs>(r#"{"token":"t","n":"xoxb-CANARY"}"#).unwrap_err();
        assert!(e.to_string().contains("CANARY"), "serde does quote values");
        let detail = describe(&e.to_string());
        assert!(!detail.contains("CANARY"), "{detail}");
        assert!(detail.contains("at line 1"), "{detail}");
    }

    #[test]
    fn error_first_with_an_all_optional_value_reads_the_rest() {
        #[derive(Debug, Deserialize)]
        struct Lenient {
            #[allow(dead_code)]
            token: Option<String>,
        }
        let p: Parsed<'_, Lenient> = parsed_as(
            r#"{"ok":false,"error":"invalid_code","warning":"missing_charset","token":"t"}"#,
        );
        assert_eq!(p.env.error.unwrap().0, "invalid_code");
        assert_eq!(p.env.warning.unwrap().0, "missing_charset");
    }

    #[test]
    fn warnings_keep_the_top_level_order_wherever_the_metadata_sits() {
        let mut p = parsed(
            r#"{"ok":false,"response_metadata":{"warnings":["x"," missing_charset","x",""]},"warning":"superfluous_charset, missing_charset"}"#,
        );
        assert_eq!(
            p.env.take_warnings(),
            vec![
                Warning::SuperfluousCharset,
                Warning::MissingCharset,
                Warning::Other("x".into())
            ]
        );
        let mut p = parsed(r#"{"ok":true,"token":"t","response_metadata":{"warnings":null}}"#);
        assert_eq!(p.env.take_warnings(), vec![]);
        assert!(p.env.take_messages().is_empty());
    }

    #[test]
    fn ok_false_after_the_value_started_still_reads_the_whole_envelope() {
        let p = parsed(
            r#"{"token":"t","ok":false,"n":"not a number","error":"invalid_code","warning":"missing_charset"}"#,
        );
        assert_eq!(p.env.error.unwrap().0, "invalid_code");
        assert_eq!(p.env.warning.unwrap().0, "missing_charset");
        // ok twice: the value was never read, which parse reports as a shape error.
        let p = parsed(r#"{"ok":false,"ok":true,"token":"t"}"#);
        assert_eq!(p.env.ok, Some(true));
        assert!(p.value.is_err());
    }

    #[test]
    fn missing_field_is_named() {
        let p = parsed(r#"{"ok":true,"n":1}"#);
        assert!(p
            .value
            .unwrap_err()
            .starts_with("the field `token` is missing"));
    }
}
