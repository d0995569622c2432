//! `authorize-url` and `install`: the browser half of OAuth.

use std::time::{Instant, SystemTime};

use serde::Serialize;
use slack_oauth::oauth_v2::Access;
use slack_oauth::{
    authorize::{CallbackError, CodeVerifier, State},
    unix_seconds, AuthorizeUrl, Callback, Installation,
};

use crate::args::{AuthorizeUrlArgs, Global, InstallArgs};
use crate::callback::{Listener, CALLBACK_PATH};
use crate::fail::Failure;
use crate::inputs::{api, caller, client_id, credentials, Secret};
use crate::output::{self, WithWarnings};
use crate::secrets::SecretReader;
use crate::Outcome;

/// Random bytes for a state (128 bits) and a PKCE verifier (256 bits).
const STATE_BYTES: usize = 16;
const VERIFIER_BYTES: usize = 32;

/// `authorize-url`: prints `{"url", "state"[, "code_verifier"][, "redirect_uri"]}`.
pub fn authorize_url(global: &Global, args: AuthorizeUrlArgs) -> Outcome {
    // The URL needs the client id only; the secret is not read.
    let client_id = client_id(global)?;
    let state = match &args.state {
        Some(value) => State::new(value.clone())
            .map_err(|e| Failure::Usage(format!("--state cannot be used: {e}")))?,
        None => random_state()?,
    };
    let mut url = if args.user_only {
        AuthorizeUrl::user_only(client_id)
    } else {
        AuthorizeUrl::new(client_id)
    };
    url = with_origin(url, global)?
        .bot_scopes(&args.scope)
        .user_scopes(&args.user_scope)
        .state(&state);
    if let Some(uri) = &args.redirect_uri {
        url = url.redirect_uri(uri);
    }
    let verifier = if args.pkce {
        let verifier = random_verifier()?;
        url = url.pkce(&verifier.challenge());
        Some(verifier)
    } else {
        None
    };
    let url = url
        .build()
        .map_err(|e| Failure::Usage(format!("cannot build the authorize URL: {e}")))?;

    output::print(&AuthorizeOutput {
        url: &url,
        state: state.as_str(),
        redirect_uri: args.redirect_uri.as_deref(),
        code_verifier: verifier.as_ref().map(CodeVerifier::expose),
    })
}

/// stdout of `authorize-url`.
#[derive(Serialize)]
struct AuthorizeOutput<'a> {
    url: &'a str,
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<&'a str>,
    /// The PKCE verifier to send with the code (`--code-verifier-file`).
    #[serde(skip_serializing_if = "Option::is_none")]
    code_verifier: Option<&'a str>,
}

/// `install`: listen, print the authorize URL, wait for the redirect, verify, exchange.
pub fn install(global: &Global, secrets: &mut SecretReader, args: InstallArgs) -> Outcome {
    let need = if args.no_pkce {
        Secret::Required
    } else {
        Secret::Optional
    };
    let credentials = credentials(global, secrets, need)?;
    let listener = Listener::bind(args.port).map_err(|e| {
        Failure::Usage(format!(
            "cannot listen on 127.0.0.1:{} for the redirect: {e}",
            args.port
        ))
    })?;
    let redirect_uri = listener.redirect_uri();
    let state = random_state()?;
    let verifier = if args.no_pkce {
        None
    } else {
        Some(random_verifier()?)
    };
    let mut url = with_origin(AuthorizeUrl::new(credentials.client_id.clone()), global)?
        .bot_scopes(&args.scope)
        .user_scopes(&args.user_scope)
        .redirect_uri(&redirect_uri)
        .state(&state);
    if let Some(verifier) = &verifier {
        url = url.pkce(&verifier.challenge());
    }
    let url = url
        .build()
        .map_err(|e| Failure::Usage(format!("cannot build the authorize URL: {e}")))?;
    // Built before the wait so a bad --base-url, --transport or --store fails at once.
    let caller = caller(global, api(global)?.with_credentials(credentials))?;
    let store = match crate::kept::url(&args.store) {
        Some(url) => Some(crate::kept::open(&url, &args.store, global)?),
        None => None,
    };

    eprintln!("The redirect URI is {redirect_uri} (it must be one of the app's Redirect URLs).");
    eprintln!("Open this URL in a browser and approve the install:\n\n{url}\n");
    eprintln!(
        "Waiting up to {} s for Slack's redirect...",
        args.wait.as_secs_f64()
    );

    let deadline = Instant::now() + args.wait;
    let serving = listener
        .serve(deadline)
        .map_err(|e| Failure::Transport(format!("the redirect listener failed: {e}")))?;
    let (callback, code) = loop {
        let callback = serving
            .next()
            .map_err(|e| Failure::Transport(format!("the redirect listener failed: {e}")))?
            .ok_or_else(|| {
                Failure::Transport(format!(
                    "no redirect arrived within {} s",
                    args.wait.as_secs_f64()
                ))
            })?;
        // Any local process or web page can reach the listener: only a callback carrying
        // our state is Slack's, and nothing else in the query is believed before that.
        if !carries_state(&callback.query, &state) {
            eprintln!("ignored a request to {CALLBACK_PATH} without this install's state");
            callback.respond(
                false,
                "Not this install",
                "This request does not carry the state of the install in progress; \
                 slack-oauth install is still waiting for Slack's redirect.",
            );
            continue;
        }
        match Callback::parse(&callback.query).and_then(|c| c.verify_state(&state)) {
            Ok(code) => break (callback, code),
            Err(e) => {
                let failure = match &e {
                    CallbackError::AccessDenied => Failure::Denied {
                        code: "access_denied".into(),
                    },
                    CallbackError::Authorize { error } => Failure::Denied {
                        code: error.clone(),
                    },
                    other => Failure::Transport(format!("refusing the redirect: {other}")),
                };
                callback.respond(false, "Not installed", &failure.message());
                return Err(failure);
            }
        }
    };

    let mut method = Access::code(code).redirect_uri(redirect_uri);
    if let Some(verifier) = verifier {
        method = method.code_verifier(verifier);
    }
    let reply = match caller.call(&method) {
        Ok(reply) => reply,
        Err(failure) => {
            callback.respond(false, "Not installed", &failure.message());
            return Err(failure);
        }
    };
    let installation = match Installation::from_access(reply.value, unix_seconds(SystemTime::now()))
    {
        Ok(installation) => installation,
        Err(e) => {
            let failure = Failure::Transport(format!("oauth.v2.access answered ok but {e}"));
            callback.respond(false, "Not installed", &failure.message());
            return Err(failure);
        }
    };
    // Saved before the browser hears "installed": a store that fails says so there too.
    let keys = match &store {
        Some(store) => match crate::kept::put(store, &installation, global) {
            Ok(keys) => Some(keys),
            Err(failure) => {
                callback.respond(false, "Not installed", &failure.message());
                return Err(failure);
            }
        },
        None => None,
    };
    let place = installation
        .team_name
        .as_deref()
        .or(installation.enterprise_name.as_deref())
        .unwrap_or("the workspace");
    callback.respond(
        true,
        "Installed",
        &format!("The app is installed in {place}. You can close this tab."),
    );
    eprintln!("Installed in {place} ({}).", ids(&installation));
    match keys {
        Some(keys) => crate::kept::print_saved(&keys, &installation, &reply.warnings),
        None => output::print(&WithWarnings::new(&installation, &reply.warnings)),
    }
}

/// The ids an installation is known by, for people: `app A1, enterprise E1, team T1`.
fn ids(installation: &Installation) -> String {
    let ids = [
        ("app", &installation.app_id),
        ("enterprise", &installation.enterprise_id),
        ("team", &installation.team_id),
    ];
    let named: Vec<String> = ids
        .iter()
        .filter_map(|(what, id)| id.as_ref().map(|id| format!("{what} {id}")))
        .collect();
    named.join(", ")
}

/// Whether `query` holds exactly one `state` and it is `expected` (compared in constant time).
fn carries_state(query: &str, expected: &State) -> bool {
    let mut states = form_urlencoded::parse(query.as_bytes()).filter(|(name, _)| name == "state");
    match (states.next(), states.next()) {
        (Some((_, value)), None) => expected.matches(&value),
        _ => false,
    }
}

/// Where the browser goes: GovSlack for `--gov`, the base URL's origin for `--base-url`
/// (the simulator serves `/oauth/v2/authorize` beside `/api`), else slack.com.
fn with_origin(url: AuthorizeUrl, global: &Global) -> Result<AuthorizeUrl, Failure> {
    if global.gov {
        return Ok(url.gov());
    }
    match web_origin(global)? {
        Some(origin) => Ok(url.with_base_url(&origin)?),
        None => Ok(url),
    }
}

/// The browser's origin for `--base-url` (`http://127.0.0.1:PORT` for the simulator's
/// `http://127.0.0.1:PORT/api`); `None` without it.
pub(crate) fn web_origin(global: &Global) -> Result<Option<String>, Failure> {
    let Some(base) = &global.base_url else {
        return Ok(None);
    };
    let uri: slack_oauth::http::Uri = base
        .parse()
        .map_err(|_| Failure::Usage(format!("--base-url {base} is not a valid URL")))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(Failure::Usage(format!(
            "--base-url {base} is not an absolute URL"
        )));
    };
    Ok(Some(format!("{scheme}://{authority}")))
}

pub(crate) fn random_state() -> Result<State, Failure> {
    let bytes = random::<STATE_BYTES>()?;
    State::from_random_bytes(&bytes)
        .map_err(|e| Failure::Transport(format!("cannot make a state: {e}")))
}

fn random_verifier() -> Result<CodeVerifier, Failure> {
    let bytes = random::<VERIFIER_BYTES>()?;
    CodeVerifier::from_random_bytes(&bytes)
        .map_err(|e| Failure::Transport(format!("cannot make a PKCE verifier: {e}")))
}

pub(crate) fn random<const N: usize>() -> Result<[u8; N], Failure> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| Failure::Transport(format!("the system's random source failed: {e}")))?;
    Ok(bytes)
}
