//! What both quickstart flows share: the app's settings, random bytes, masking secrets for
//! print, and the numbered output.

use std::fmt::Write as _;

use slack_oauth::oauth_v2::Access;
use slack_oauth::{
    authorize::CodeVerifier, secret::StateKey, Api, AuthorizeUrl, Callback, ClientCredentials,
    StateSigner,
};
use slack_oauth_sim::{AppConfig, Server, Sim, TokenStatus};

/// A folder of the run's own under the system's temporary folder, removed at the end.
pub struct TempFolder(pub std::path::PathBuf);

impl TempFolder {
    pub fn new() -> Result<TempFolder> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .subsec_nanos();
        let path = std::env::temp_dir().join(format!(
            "slack-oauth-quickstart-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&path)?;
        Ok(TempFolder(path))
    }

    /// The installation store's file in it.
    pub fn store(&self) -> std::path::PathBuf {
        self.0.join("installations.db")
    }
}

impl Drop for TempFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `mode 600` (the file's permission bits), where the platform has them.
pub fn mode(path: &std::path::Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) => format!("mode {:o}", meta.permissions().mode() & 0o777),
            Err(e) => format!("mode unknown: {e}"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        "readable by you".to_owned()
    }
}

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub const CLIENT_ID: &str = "1111111111.2222222222";
/// Where Slack sends the browser back to. The quickstart runs no web server: the simulator
/// hands the redirect over directly, as a browser would follow it.
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/slack/oauth/callback";
pub const BOT_SCOPES: [&str; 2] = ["chat:write", "commands"];
pub const USER_SCOPES: [&str; 1] = ["search:read"];

/// The app as registered in the simulator: token rotation and PKCE on.
pub fn app(client_secret: &str) -> AppConfig {
    AppConfig::new(CLIENT_ID, client_secret)
        .redirect_uri(REDIRECT_URI)
        .token_rotation(true)
        .pkce(true)
        .bot_scopes(&BOT_SCOPES.join(","))
        .user_scopes(&USER_SCOPES.join(","))
}

/// `N` bytes from the operating system's random source (the `getrandom` crate): the core
/// draws no random numbers itself.
pub fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random bytes: {e}"))?;
    Ok(bytes)
}

/// A client secret for this run: the simulator accepts whatever the app was registered with.
pub fn client_secret() -> Result<String> {
    Ok(hex(&random::<16>()?))
}

/// A fresh PKCE verifier (32 random bytes, 43 characters).
pub fn verifier() -> Result<CodeVerifier> {
    Ok(CodeVerifier::from_random_bytes(&random::<32>()?)?)
}

/// A signer for self-verifying `state` values with a fresh 32-byte key. A real app keeps
/// one key in its configuration so every server can verify what any of them issued.
pub fn signer() -> Result<StateSigner> {
    Ok(StateSigner::new(StateKey::from_random_bytes(&random::<
        32,
    >()?)?)?)
}

/// How a secret is printed: its documented prefix (Slack's token families; nothing for
/// other secrets), then the first 6 hex digits of its SHA-256 so two values can be told
/// apart. Never the value.
pub fn mask(secret: &str) -> String {
    const PREFIXES: [&str; 7] = [
        "xoxe.xoxb-1-",
        "xoxe.xoxp-1-",
        "xoxe-1-",
        "xoxb-",
        "xoxp-",
        "xwfp-",
        "xapp-1-",
    ];
    let shown = PREFIXES
        .iter()
        .find(|p| secret.starts_with(**p))
        .map_or("", |p| *p);
    let digest = hmac_sha256::Hash::hash(secret.as_bytes());
    format!("{shown}…[#{}]", &hex(&digest)[..6])
}

/// `url` with the values of `names` masked: a state lets a forged callback pass and a code
/// buys an install, so neither is printed.
pub fn mask_query(url: &str, names: &[&str]) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if names.contains(&name) => format!("{name}=…"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

/// `12h00m`, `59s`.
pub fn duration(seconds: u64) -> String {
    match (seconds / 3600, seconds % 3600 / 60, seconds % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, 0) => format!("{h}h{m:02}m"),
        (h, m, s) => format!("{h}h{m:02}m{s:02}s"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// What a run did, for the tests: every secret value it handled (to prove none was
/// printed) and the counts that show each step happened once.
#[derive(Debug, Default)]
pub struct Report {
    pub steps: usize,
    pub secrets: Vec<String>,
    /// Refresh grants (`oauth.v2.access`, `grant_type=refresh_token`) the keeper sent.
    pub refreshes: u64,
    /// How many concurrent callers shared them.
    pub callers: usize,
    pub config_rotations: u64,
    pub external_deleted: bool,
    pub exchanged: bool,
}

impl Report {
    pub fn secret(&mut self, value: &str) {
        self.secrets.push(value.to_owned());
    }
}

/// Numbered, aligned output lines, handed to `out` as they are made.
pub struct Printer<'a> {
    out: &'a mut dyn FnMut(&str),
    step: usize,
}

impl<'a> Printer<'a> {
    pub fn new(out: &'a mut dyn FnMut(&str)) -> Printer<'a> {
        Printer { out, step: 0 }
    }

    pub fn line(&mut self, text: &str) {
        (self.out)(text);
    }

    /// Starts the next numbered step.
    pub fn step(&mut self, title: &str, text: &str) {
        self.step += 1;
        let line = format!("{:>2}. {title:<14}{text}", self.step);
        (self.out)(&line);
    }

    /// A further line of the current step.
    pub fn more(&mut self, text: &str) {
        let line = format!("{:18}{text}", "");
        (self.out)(&line);
    }

    pub fn steps(&self) -> usize {
        self.step
    }
}

/// The calls that reached the simulator, per method, for the closing line.
pub fn calls(sim: &Sim) -> String {
    [
        "oauth.v2.access",
        "tooling.tokens.rotate",
        "apps.auth.external.get",
        "apps.auth.external.delete",
        "oauth.v2.exchange",
    ]
    .iter()
    .map(|m| format!("{m} ×{}", sim.calls(m)))
    .collect::<Vec<_>>()
    .join(", ")
}

/// What the simulator thinks of a token, in words.
pub fn status(status: TokenStatus) -> &'static str {
    match status {
        TokenStatus::Active => "active",
        TokenStatus::Expired => "expired",
        TokenStatus::Revoked => "revoked",
        TokenStatus::Spent => "spent",
        _ => "unknown",
    }
}

/// What steps 1–5 leave for the transport-specific rest: the simulator, the app's `Api`, and
/// the code exchange to send (with the PKCE verifier) as step 6.
pub struct Authorized {
    pub sim: Sim,
    pub server: Server,
    pub api: Api,
    pub exchange: Access,
}

/// Steps 1–5, the same for every transport (none of them sends a request through one):
/// simulator, app, authorize URL, approval, callback.
pub fn authorize(p: &mut Printer<'_>, report: &mut Report) -> Result<Authorized> {
    // 1. A Slack of our own on loopback; its clock is what every step below reads.
    let sim = Sim::new();
    let server = Server::start(sim.clone())?;
    p.step(
        "Simulator",
        &format!("Slack simulator listening on {}", server.url()),
    );

    // 2. The app, as registered in Slack's app settings.
    let secret = client_secret()?;
    report.secret(&secret);
    sim.register_app(app(&secret));
    let api = Api::new()
        .with_base_url(&server.base_url())?
        .with_credentials(ClientCredentials::new(CLIENT_ID, secret.as_str()));
    p.step(
        "App",
        &format!(
            "registered client id {} (secret {}): token rotation on, PKCE on",
            CLIENT_ID,
            mask(&secret)
        ),
    );

    // 3. Send the user to Slack: PKCE verifier and a signed state, both from random bytes.
    let verifier = verifier()?;
    report.secret(verifier.expose());
    let signer = signer()?;
    let state = signer.issue(&random::<16>()?, sim.now())?;
    report.secret(state.as_str());
    let url = AuthorizeUrl::new(CLIENT_ID)
        .with_base_url(&server.url())?
        .bot_scopes(BOT_SCOPES)
        .user_scopes(USER_SCOPES)
        .redirect_uri(REDIRECT_URI)
        .state(&state)
        .pkce(&verifier.challenge())
        .build()?;
    p.step(
        "Authorize",
        &format!(
            "PKCE verifier {} (S256), state signed with HMAC-SHA256; send the user to",
            mask(verifier.expose())
        ),
    );
    p.more(&mask_query(&url, &["state"]));

    // 4. The user clicks "Allow"; Slack sends the browser back with a code and the state.
    let redirect = sim.approve(&url)?;
    p.step(
        "Approve",
        "the user allowed the install; Slack redirected to",
    );
    p.more(&mask_query(&redirect, &["code", "state"]));

    // 5. Read the callback: the state must verify before the code is handed out.
    let (code, verified) = Callback::parse(&redirect)?.verify_signed_state(&signer, sim.now())?;
    report.secret(code.expose());
    p.step(
        "Callback",
        &format!(
            "state verified (issued {} ago); code {}",
            duration(sim.now() - verified.issued_at()),
            mask(code.expose())
        ),
    );

    let exchange = Access::code(code)
        .redirect_uri(REDIRECT_URI)
        .code_verifier(verifier);
    Ok(Authorized {
        sim,
        server,
        api,
        exchange,
    })
}
