//! Reading a Web API request the way Slack does: verb, content type, charset, arguments,
//! client credentials and bearer token.

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{Method, Request};
use slack_oauth_core::ErrorCode;

/// The arguments of one call: form body (or JSON body) first, then query string.
///
/// `Debug` prints the argument names only: values hold codes, secrets and tokens.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Args {
    pairs: Vec<(String, String)>,
}

impl fmt::Debug for Args {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.pairs.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Args {
    /// The first value of argument `name` (body arguments come before query arguments).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether argument `name` was sent.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every `(name, value)` pair in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether no argument was sent.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// A non-empty value of `name`.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

/// Client credentials from an `Authorization: Basic` header.
#[derive(Clone)]
pub(crate) enum Basic {
    Valid { id: String, secret: String },
    Malformed,
}

/// A request read up to the method-specific part.
pub(crate) struct Parsed {
    pub args: Args,
    pub warnings: Vec<String>,
    pub basic: Option<Basic>,
    /// `Authorization: Bearer <token>`.
    pub bearer: Option<String>,
    /// `token` from a form body (never the query string, never JSON).
    pub body_token: Option<String>,
}

impl Parsed {
    /// The bearer token: header first, then the `token` body argument.
    pub fn token(&self) -> Option<&str> {
        self.bearer
            .as_deref()
            .or(self.body_token.as_deref())
            .filter(|t| !t.is_empty())
    }
}

/// A request Slack refuses before looking at the method: the code plus warnings so far.
pub(crate) struct Refused {
    pub code: ErrorCode,
    pub warnings: Vec<String>,
}

const MAX_ARG_NAME: usize = 100;

/// Reads `req`. `json_allowed`: the method lists `application/json` among its content
/// types; for other methods a JSON body is not read (its arguments are missing).
pub(crate) fn parse(req: &Request<Vec<u8>>, json_allowed: bool) -> Result<Parsed, Refused> {
    let mut warnings = Vec::new();
    let refuse = |code: ErrorCode, warnings: &Vec<String>| Refused {
        code,
        warnings: warnings.clone(),
    };

    let mut body_pairs = Vec::new();
    let mut body_token = None;
    if req.method() == Method::POST {
        let body = req.body().as_slice();
        match req.headers().get(CONTENT_TYPE) {
            None if body.is_empty() => {}
            None => return Err(refuse(ErrorCode::MissingPostType, &warnings)),
            Some(value) => {
                let Ok(value) = value.to_str() else {
                    return Err(refuse(ErrorCode::InvalidPostType, &warnings));
                };
                let (media, charset, boundary) = content_type(value);
                let latin1 = match charset.as_deref() {
                    None => false,
                    Some(cs) if cs.eq_ignore_ascii_case("utf-8") => false,
                    Some(cs) if cs.eq_ignore_ascii_case("iso-8859-1") => true,
                    Some(_) => {
                        if !is_known_type(&media) {
                            return Err(refuse(ErrorCode::InvalidPostType, &warnings));
                        }
                        return Err(refuse(ErrorCode::InvalidCharset, &warnings));
                    }
                };
                match media.as_str() {
                    "application/x-www-form-urlencoded" => {
                        if charset.is_some() {
                            warnings.push("superfluous_charset".to_owned());
                        }
                        body_pairs = parse_form(body, latin1)
                            .ok_or_else(|| refuse(ErrorCode::InvalidFormData, &warnings))?;
                        body_token = take_token(&body_pairs);
                    }
                    "multipart/form-data" => {
                        if charset.is_some() {
                            warnings.push("superfluous_charset".to_owned());
                        }
                        body_pairs = boundary
                            .and_then(|b| parse_multipart(body, &b))
                            .ok_or_else(|| refuse(ErrorCode::InvalidFormData, &warnings))?;
                        body_token = take_token(&body_pairs);
                    }
                    "text/plain" => {
                        if charset.is_none() {
                            warnings.push("missing_charset".to_owned());
                        }
                        body_pairs = parse_form(body, latin1)
                            .ok_or_else(|| refuse(ErrorCode::InvalidFormData, &warnings))?;
                        body_token = take_token(&body_pairs);
                    }
                    "application/json" => {
                        if charset.is_none() {
                            warnings.push("missing_charset".to_owned());
                        }
                        if json_allowed {
                            // The token is never read from a JSON body (Slack: header only).
                            body_pairs = parse_json(body).map_err(|c| refuse(c, &warnings))?;
                        }
                    }
                    _ => return Err(refuse(ErrorCode::InvalidPostType, &warnings)),
                }
            }
        }
    }

    // Slack does not accept a token in the query string: it is dropped here.
    let query_pairs = req
        .uri()
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(n, _)| n != "token")
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();

    let mut pairs = body_pairs;
    pairs.extend(query_pairs);
    if pairs.iter().any(|(name, _)| !valid_arg_name(name)) {
        return Err(refuse(ErrorCode::InvalidArgName, &warnings));
    }

    let (basic, bearer) = authorization(req);
    Ok(Parsed {
        args: Args { pairs },
        warnings,
        basic,
        bearer,
        body_token,
    })
}

fn is_known_type(media: &str) -> bool {
    matches!(
        media,
        "application/x-www-form-urlencoded"
            | "multipart/form-data"
            | "text/plain"
            | "application/json"
    )
}

fn take_token(pairs: &[(String, String)]) -> Option<String> {
    pairs
        .iter()
        .find(|(n, _)| n == "token")
        .map(|(_, v)| v.clone())
}

fn valid_arg_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ARG_NAME
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `(media type lowercased, charset, boundary)`.
fn content_type(value: &str) -> (String, Option<String>, Option<String>) {
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let mut charset = None;
    let mut boundary = None;
    for param in parts {
        let Some((key, val)) = param.split_once('=') else {
            continue;
        };
        let val = val.trim().trim_matches('"').to_owned();
        match key.trim().to_ascii_lowercase().as_str() {
            "charset" => charset = Some(val),
            "boundary" => boundary = Some(val),
            _ => {}
        }
    }
    (media, charset, boundary)
}

/// A strict `application/x-www-form-urlencoded` reader: a bad `%` escape or bytes that are
/// not text in the declared charset make the whole body invalid.
fn parse_form(body: &[u8], latin1: bool) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for piece in body.split(|b| *b == b'&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = match piece.iter().position(|b| *b == b'=') {
            Some(i) => (&piece[..i], &piece[i + 1..]),
            None => (piece, &[][..]),
        };
        pairs.push((form_decode(name, latin1)?, form_decode(value, latin1)?));
    }
    Some(pairs)
}

fn form_decode(raw: &[u8], latin1: bool) -> Option<String> {
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let ok = raw.len() > i + 2
                && raw[i + 1].is_ascii_hexdigit()
                && raw[i + 2].is_ascii_hexdigit();
            if !ok {
                return None;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
    if latin1 {
        Some(bytes.iter().map(|&b| char::from(b)).collect())
    } else {
        String::from_utf8(bytes).ok()
    }
}

/// A small `multipart/form-data` reader for text fields.
fn parse_multipart(body: &[u8], boundary: &str) -> Option<Vec<(String, String)>> {
    // RFC 2046: 1 to 70 characters. The bound also keeps the naive search below linear-ish.
    if boundary.is_empty() || boundary.len() > 70 {
        return None;
    }
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let start = find(body, delimiter.as_bytes())?;
    let mut rest = &body[start + delimiter.len()..];
    let mut pairs = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Some(pairs);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let end = find(rest, next_delimiter.as_bytes())?;
        let part = &rest[..end];
        rest = &rest[end + next_delimiter.len()..];
        let header_end = find(part, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&part[..header_end]).ok()?;
        let value = &part[header_end + 4..];
        let name = headers.split("\r\n").find_map(|line| {
            let (key, val) = line.split_once(':')?;
            if !key.trim().eq_ignore_ascii_case("content-disposition") {
                return None;
            }
            val.split(';').find_map(|param| {
                let (k, v) = param.split_once('=')?;
                (k.trim() == "name").then(|| v.trim().trim_matches('"').to_owned())
            })
        })?;
        pairs.push((name, String::from_utf8(value.to_vec()).ok()?));
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A JSON object's members as arguments: strings as they are, numbers and booleans as text.
fn parse_json(body: &[u8]) -> Result<Vec<(String, String)>, ErrorCode> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| ErrorCode::Other("invalid_json".to_owned()))?;
    let serde_json::Value::Object(map) = value else {
        return Err(ErrorCode::Other("json_not_object".to_owned()));
    };
    let mut pairs = Vec::with_capacity(map.len());
    for (name, value) in map {
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Array(_) => return Err(ErrorCode::InvalidArrayArg),
            serde_json::Value::Object(_) => return Err(ErrorCode::InvalidArguments),
        };
        pairs.push((name, text));
    }
    Ok(pairs)
}

/// Basic credentials (RFC 6749 §2.3.1: base64 of form-urlencoded id and secret) or a bearer.
fn authorization(req: &Request<Vec<u8>>) -> (Option<Basic>, Option<String>) {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return (None, None);
    };
    let Ok(value) = value.to_str() else {
        return (Some(Basic::Malformed), None);
    };
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return (None, Some(rest.to_owned()).filter(|t| !t.is_empty()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        return (Some(decode_basic(rest).unwrap_or(Basic::Malformed)), None);
    }
    (None, None)
}

fn decode_basic(encoded: &str) -> Option<Basic> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let decoded = LENIENT.decode(encoded).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some(Basic::Valid {
        id: form_decode(id.as_bytes(), false)?,
        secret: form_decode(secret.as_bytes(), false)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(content_type: Option<&str>, body: &[u8]) -> Request<Vec<u8>> {
        let mut b = Request::post("/api/oauth.v2.access?q=1&token=no");
        if let Some(ct) = content_type {
            b = b.header("content-type", ct);
        }
        b.body(body.to_vec()).unwrap()
    }

    fn code(r: Result<Parsed, Refused>) -> String {
        match r {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.code.as_str().to_owned(),
        }
    }

    #[test]
    fn content_types() {
        let form = "application/x-www-form-urlencoded";
        assert_eq!(code(parse(&post(None, b"a=1"), true)), "missing_post_type");
        assert_eq!(code(parse(&post(None, b""), true)), "ok");
        assert_eq!(
            code(parse(&post(Some("image/png"), b"a"), true)),
            "invalid_post_type"
        );
        assert_eq!(
            code(parse(&post(Some("image/png; charset=koi8-r"), b"a"), true)),
            "invalid_post_type"
        );
        assert_eq!(
            code(parse(
                &post(Some(&format!("{form}; charset=koi8-r")), b"a=1"),
                true
            )),
            "invalid_charset"
        );
        assert_eq!(
            code(parse(&post(Some(form), b"a=%zz"), true)),
            "invalid_form_data"
        );
        assert_eq!(
            code(parse(&post(Some(form), b"a=%ff"), true)),
            "invalid_form_data"
        );
        assert_eq!(
            code(parse(&post(Some(form), b"a=\xff"), true)),
            "invalid_form_data"
        );
        assert_eq!(
            code(parse(&post(Some(form), b"a-b=1"), true)),
            "invalid_arg_name"
        );
        assert_eq!(
            code(parse(&post(Some("application/json"), b"[1]"), true)),
            "json_not_object"
        );
        assert_eq!(
            code(parse(&post(Some("application/json"), b"{"), true)),
            "invalid_json"
        );
        assert_eq!(
            code(parse(
                &post(Some("application/json"), br#"{"a":[1]}"#),
                true
            )),
            "invalid_array_arg"
        );
        assert_eq!(
            code(parse(&post(Some("multipart/form-data"), b"x"), true)),
            "invalid_form_data"
        );
    }

    #[test]
    fn warnings_follow_slacks_rule() {
        let p = parse(
            &post(Some("application/x-www-form-urlencoded"), b"a=1"),
            true,
        )
        .ok()
        .unwrap();
        assert!(p.warnings.is_empty());
        let p = parse(
            &post(
                Some("application/x-www-form-urlencoded; charset=utf-8"),
                b"a=1",
            ),
            true,
        )
        .ok()
        .unwrap();
        assert_eq!(p.warnings, ["superfluous_charset"]);
        let p = parse(&post(Some("application/json"), b"{}"), true)
            .ok()
            .unwrap();
        assert_eq!(p.warnings, ["missing_charset"]);
        let p = parse(&post(Some("application/json; charset=utf-8"), b"{}"), true)
            .ok()
            .unwrap();
        assert!(p.warnings.is_empty());
        let p = parse(&post(Some("text/plain"), b"a=1"), true).ok().unwrap();
        assert_eq!(p.warnings, ["missing_charset"]);
        assert_eq!(p.args.get("a"), Some("1"));
    }

    #[test]
    fn arguments_and_tokens() {
        let p = parse(
            &post(
                Some("application/x-www-form-urlencoded"),
                b"a=x+y%21&token=t1&q=2",
            ),
            true,
        )
        .ok()
        .unwrap();
        assert_eq!(p.args.get("a"), Some("x y!"));
        assert_eq!(p.args.get("q"), Some("2"), "body wins over query");
        assert_eq!(p.body_token.as_deref(), Some("t1"));
        assert_eq!(p.token(), Some("t1"));
        // A query token is ignored.
        let p = parse(&post(None, b""), true).ok().unwrap();
        assert_eq!(p.args.get("token"), None);
        assert_eq!(p.token(), None);
        // JSON: values as text, token only from the header.
        let p = parse(
            &post(
                Some("application/json; charset=utf-8"),
                br#"{"force_refresh":true,"n":3,"token":"x","z":null}"#,
            ),
            true,
        )
        .ok()
        .unwrap();
        assert_eq!(p.args.get("force_refresh"), Some("true"));
        assert_eq!(p.args.get("n"), Some("3"));
        assert_eq!(p.token(), None);
        // JSON body of a form-only method is not read.
        let p = parse(
            &post(Some("application/json; charset=utf-8"), br#"{"a":"1"}"#),
            false,
        )
        .ok()
        .unwrap();
        assert_eq!(p.args.get("a"), None);
        // Latin-1 forms decode byte by byte.
        let p = parse(
            &post(
                Some("application/x-www-form-urlencoded; charset=iso-8859-1"),
                b"a=%E9",
            ),
            true,
        )
        .ok()
        .unwrap();
        assert_eq!(p.args.get("a"), Some("\u{e9}"));
    }

    #[test]
    fn multipart() {
        let body = b"--XYZ\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\nabc\r\n--XYZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--XYZ--\r\n";
        let p = parse(&post(Some("multipart/form-data; boundary=XYZ"), body), true)
            .ok()
            .unwrap();
        assert_eq!(p.args.get("code"), Some("abc"));
        assert_eq!(p.args.get("b"), Some("2"));
        let long = format!("multipart/form-data; boundary={}", "x".repeat(71));
        assert!(parse(&post(Some(&long), body), true).is_err());
    }

    #[test]
    fn basic_credentials() {
        let req = Request::post("/api/x")
            .header("authorization", "Basic MTExLjIyMjpzZWNyZXQ=")
            .body(Vec::new())
            .unwrap();
        let p = parse(&req, true).ok().unwrap();
        assert!(
            matches!(p.basic, Some(Basic::Valid { ref id, ref secret }) if id == "111.222" && secret == "secret")
        );
        // "a b:c%3Ad" form-encoded is "a+b:c%253Ad"; base64 of that:
        let req = Request::post("/api/x")
            .header("authorization", "basic YStiOmMlM0Fk")
            .body(Vec::new())
            .unwrap();
        let p = parse(&req, true).ok().unwrap();
        assert!(
            matches!(p.basic, Some(Basic::Valid { ref id, ref secret }) if id == "a b" && secret == "c:d")
        );
        let req = Request::post("/api/x")
            .header("authorization", "Basic !!!")
            .body(Vec::new())
            .unwrap();
        assert!(matches!(
            parse(&req, true).ok().unwrap().basic,
            Some(Basic::Malformed)
        ));
        let req = Request::post("/api/x")
            .header("authorization", "Bearer xoxb-1")
            .body(Vec::new())
            .unwrap();
        assert_eq!(parse(&req, true).ok().unwrap().token(), Some("xoxb-1"));
    }

    #[test]
    fn args_debug_hides_values() {
        let p = parse(
            &post(
                Some("application/x-www-form-urlencoded"),
                b"code=SECRETCODE",
            ),
            true,
        )
        .ok()
        .unwrap();
        let debug = format!("{:?}", p.args);
        assert!(debug.contains("code") && !debug.contains("SECRETCODE"));
    }
}
