//! [`Callback`]: reading the redirect Slack sends the browser back with.
//!
//! `https://example.com/slack/callback?code=…&state=…` on approval, or `?error=access_denied&state=…`
//! when the user cancels. [`Callback::parse`] reads it; the code is only handed out once the
//! state has been verified ([`Callback::verify_state`], [`Callback::verify_signed_state`]).

use std::fmt;

use crate::secrets::AuthCode;
use crate::state::{is_valid_state_value, State, StateError, StateSigner, VerifiedState};

/// The longest authorization code accepted (Slack's are well under 100 characters).
const MAX_CODE_LEN: usize = 1024;
/// How much of an unknown `error` value is kept.
const MAX_ERROR_LEN: usize = 64;

/// Why a callback does not carry a usable authorization code. Never holds the code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackError {
    /// `error=access_denied`: the user declined the install.
    AccessDenied,
    /// Any other `error=…` from the authorize step (e.g. `invalid_scope`, `bad_redirect_uri`,
    /// `invalid_team_for_non_distributed_app`), kept with anything but `A-Z a-z 0-9 _ - .`
    /// removed and cut to 64 characters.
    Authorize {
        /// The error code Slack sent.
        error: String,
    },
    /// No `code` (or an empty one).
    MissingCode,
    /// No `state` (or an empty one).
    MissingState,
    /// The state does not verify: mismatch, tampering, expiry, …
    State(StateError),
    /// The query cannot be a Slack callback: too long, a parameter repeated, or a code or
    /// state that is not visible ASCII.
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
}

impl CallbackError {
    /// Whether the user declined the install (`error=access_denied`).
    pub fn is_access_denied(&self) -> bool {
        matches!(self, CallbackError::AccessDenied)
    }
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallbackError::AccessDenied => {
                f.write_str("the user declined the install (access_denied)")
            }
            CallbackError::Authorize { error } => {
                write!(f, "Slack refused the authorization: `{error}`")
            }
            CallbackError::MissingCode => f.write_str("the callback has no `code`"),
            CallbackError::MissingState => f.write_str("the callback has no `state`"),
            CallbackError::State(e) => write!(f, "callback rejected: {e}"),
            CallbackError::Malformed { reason } => write!(f, "malformed callback: {reason}"),
        }
    }
}

impl std::error::Error for CallbackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallbackError::State(e) => Some(e),
            _ => None,
        }
    }
}

impl From<StateError> for CallbackError {
    fn from(e: StateError) -> Self {
        CallbackError::State(e)
    }
}

/// A parsed callback whose state is not verified yet; verifying it gives the code.
///
/// ```
/// use slack_oauth_core::{Callback, authorize::{CallbackError, State}};
///
/// let expected = State::new("s3cr3t-st4te")?; // what the app stored when it sent the user off
/// let callback = Callback::parse("https://example.com/cb?code=4724469134.4644&state=s3cr3t-st4te")?;
/// let code = callback.verify_state(&expected)?;
/// assert_eq!(code.expose(), "4724469134.4644");
///
/// let denied = Callback::parse("?error=access_denied&state=s3cr3t-st4te").unwrap_err();
/// assert!(denied.is_access_denied());
///
/// let forged = Callback::parse("code=1.2&state=other")?.verify_state(&expected).unwrap_err();
/// assert!(matches!(forged, CallbackError::State(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Callback {
    code: AuthCode,
    state: String,
}

impl Callback {
    /// The longest callback URL or query [`Callback::parse`] reads.
    pub const MAX_LEN: usize = 16 * 1024;

    /// Reads a callback from the full redirect URL (`https://…/cb?code=…&state=…`), a
    /// path with a query (`/cb?code=…`), or the query alone, with or without its `?`.
    /// Parameters other than `code`, `state` and `error` are ignored; a fragment is dropped.
    ///
    /// An `error` parameter wins over everything else; otherwise both `code` and `state` must
    /// be present, once each.
    pub fn parse(url_or_query: &str) -> Result<Callback, CallbackError> {
        if url_or_query.len() > Callback::MAX_LEN {
            return Err(CallbackError::Malformed {
                reason: "longer than 16 KiB",
            });
        }
        let query = match url_or_query.split_once('?') {
            Some((_, query)) => query,
            // A URL or path without a query carries no parameters at all.
            None if url_or_query.contains("://") || url_or_query.starts_with('/') => "",
            None => url_or_query,
        };
        let query = query.split_once('#').map_or(query, |(q, _)| q);

        let mut code = None;
        let mut state = None;
        let mut error = None;
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let (slot, reason) = match name.as_ref() {
                "code" => (&mut code, "`code` appears more than once"),
                "state" => (&mut state, "`state` appears more than once"),
                "error" => (&mut error, "`error` appears more than once"),
                _ => continue,
            };
            // A repeated parameter means someone is playing games with the URL.
            if slot.replace(value).is_some() {
                return Err(CallbackError::Malformed { reason });
            }
        }

        if let Some(error) = error {
            return Err(match error.as_ref() {
                "access_denied" => CallbackError::AccessDenied,
                other => CallbackError::Authorize {
                    error: other
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                        .take(MAX_ERROR_LEN)
                        .collect(),
                },
            });
        }
        let code = code
            .filter(|c| !c.is_empty())
            .ok_or(CallbackError::MissingCode)?;
        let state = state
            .filter(|s| !s.is_empty())
            .ok_or(CallbackError::MissingState)?;
        if code.len() > MAX_CODE_LEN || !code.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CallbackError::Malformed {
                reason: "the code is not visible ASCII of at most 1024 characters",
            });
        }
        if !is_valid_state_value(&state) {
            return Err(CallbackError::Malformed {
                reason: "the state is not visible ASCII of at most 1024 characters",
            });
        }
        Ok(Callback {
            code: AuthCode::new(code.into_owned()),
            state: state.into_owned(),
        })
    }

    /// The state as received, not yet verified: use it to look up what the app stored
    /// (e.g. the PKCE verifier), then verify it.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// Compares the state with the one the app stored (constant-time) and gives the code.
    pub fn verify_state(self, expected: &State) -> Result<AuthCode, CallbackError> {
        expected.verify(&self.state)?;
        Ok(self.code)
    }

    /// Verifies a state issued by [`StateSigner::issue`] at `now` (Unix seconds) and gives
    /// the code with what the state said.
    pub fn verify_signed_state(
        self,
        signer: &StateSigner,
        now: u64,
    ) -> Result<(AuthCode, VerifiedState), CallbackError> {
        let verified = signer.verify(&self.state, now)?;
        Ok((self.code, verified))
    }

    /// Verifies a state issued by [`StateSigner::issue_bound`] for `binding` (e.g. the
    /// browser's session id) at `now`, and gives the code.
    pub fn verify_bound_state(
        self,
        signer: &StateSigner,
        binding: &[u8],
        now: u64,
    ) -> Result<(AuthCode, VerifiedState), CallbackError> {
        let verified = signer.verify_bound(&self.state, binding, now)?;
        Ok((self.code, verified))
    }
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("code", &self.code)
            .field("state", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::StateKey;

    fn state() -> State {
        State::new("the-state").unwrap()
    }

    #[test]
    fn input_forms() {
        for input in [
            "https://example.com/cb?code=C0DE&state=the-state",
            "http://localhost:3000/slack/oauth_redirect?state=the-state&code=C0DE#frag",
            "/cb?code=C0DE&state=the-state",
            "?code=C0DE&state=the-state",
            "code=C0DE&state=the-state",
            "code=C0DE&state=the-state&extra=1&another&=x&scope=a%2Cb",
        ] {
            let cb = Callback::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(cb.state(), "the-state");
            assert_eq!(
                cb.verify_state(&state()).unwrap().expose(),
                "C0DE",
                "{input}"
            );
        }
    }

    #[test]
    fn url_encoded_values() {
        let cb = Callback::parse("?code=1234.56%2E78&state=a%2Bb%7E").unwrap();
        assert_eq!(cb.state(), "a+b~");
        let code = cb.verify_state(&State::new("a+b~").unwrap()).unwrap();
        assert_eq!(code.expose(), "1234.56.78");
    }

    #[test]
    fn slack_errors_win_and_are_kept() {
        assert_eq!(
            Callback::parse("https://x.example/cb?error=access_denied&state=the-state")
                .unwrap_err(),
            CallbackError::AccessDenied
        );
        assert_eq!(
            Callback::parse("error=invalid_team_for_non_distributed_app&state=s&code=x")
                .unwrap_err(),
            CallbackError::Authorize {
                error: "invalid_team_for_non_distributed_app".into()
            }
        );
        let odd = Callback::parse("error=%3Cscript%3Ebad%0A").unwrap_err();
        assert_eq!(
            odd,
            CallbackError::Authorize {
                error: "scriptbad".into()
            }
        );
        let long = format!("error={}", "e".repeat(500));
        match Callback::parse(&long).unwrap_err() {
            CallbackError::Authorize { error } => assert_eq!(error.len(), 64),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_parts() {
        assert_eq!(
            Callback::parse("state=s").unwrap_err(),
            CallbackError::MissingCode
        );
        assert_eq!(
            Callback::parse("code=&state=s").unwrap_err(),
            CallbackError::MissingCode
        );
        assert_eq!(
            Callback::parse("code=c").unwrap_err(),
            CallbackError::MissingState
        );
        assert_eq!(
            Callback::parse("code=c&state=").unwrap_err(),
            CallbackError::MissingState
        );
        assert_eq!(
            Callback::parse("https://example.com/cb").unwrap_err(),
            CallbackError::MissingCode
        );
        assert_eq!(Callback::parse("").unwrap_err(), CallbackError::MissingCode);
    }

    #[test]
    fn malformed_queries() {
        for input in [
            "code=a&code=b&state=s",
            "code=a&state=s&state=t",
            "error=a&error=b",
            "code=%FF%FE&state=s",
            "code=a%20b&state=s",
            "code=a&state=%00",
            "code=a&state=caf%C3%A9",
        ] {
            assert!(
                matches!(Callback::parse(input), Err(CallbackError::Malformed { .. })),
                "{input}"
            );
        }
        let huge = format!("code=a&state={}", "s".repeat(Callback::MAX_LEN));
        assert!(matches!(
            Callback::parse(&huge),
            Err(CallbackError::Malformed { .. })
        ));
        let long_code = format!("code={}&state=s", "c".repeat(1025));
        assert!(Callback::parse(&long_code).is_err());
    }

    #[test]
    fn state_checks() {
        let cb = Callback::parse("code=c&state=not-the-state").unwrap();
        assert_eq!(
            cb.verify_state(&state()).unwrap_err(),
            CallbackError::State(StateError::Mismatch)
        );

        let signer = StateSigner::new(StateKey::new("k".repeat(32))).unwrap();
        let now = 1_700_000_000;
        let issued = signer.issue(&[1; 16], now).unwrap();
        let url = format!("https://e.example/cb?code=c&state={}", issued.as_str());
        let (code, verified) = Callback::parse(&url)
            .unwrap()
            .verify_signed_state(&signer, now + 5)
            .unwrap();
        assert_eq!((code.expose(), verified.issued_at()), ("c", now));
        assert!(matches!(
            Callback::parse(&url)
                .unwrap()
                .verify_signed_state(&signer, now + 600),
            Err(CallbackError::State(StateError::Expired { .. }))
        ));

        let bound = signer.issue_bound(&[1; 16], b"sid", now).unwrap();
        let url = format!("code=c&state={}", bound.as_str());
        assert!(Callback::parse(&url)
            .unwrap()
            .verify_bound_state(&signer, b"sid", now)
            .is_ok());
        assert_eq!(
            Callback::parse(&url)
                .unwrap()
                .verify_bound_state(&signer, b"other", now)
                .unwrap_err(),
            CallbackError::State(StateError::Mismatch)
        );
    }

    #[test]
    fn the_code_is_never_printed() {
        let cb = Callback::parse("code=CANARY-CODE&state=CANARY-STATE").unwrap();
        let dbg = format!("{cb:?}");
        assert!(!dbg.contains("CANARY"), "{dbg}");
        let err = cb.verify_state(&state()).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("CANARY"));
        let err = Callback::parse("code=CANARY&code=CANARY&state=s").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("CANARY"));
        let err = Callback::parse("code=CANARY%FF&state=s").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("CANARY"));
    }
}
