//! The command line (clap derive). The names are documented in docs/cli.md
//! (the command line guide) and scripts depend on them; keep them.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

const MAIN_EXAMPLES: &str = "\
Secrets never go in flag values (they show in process lists): client secret, tokens and codes
come from environment variables or files (`-` reads stdin).
  SLACK_CLIENT_ID, SLACK_CLIENT_SECRET    the app's credentials (or --client-id, --client-secret-file)
  SLACK_AUTH_CODE                          for `access` and `user-access` (or --code-file)
  SLACK_REFRESH_TOKEN                      for `refresh`
  SLACK_CONFIG_REFRESH_TOKEN               for `rotate-config-token`
  SLACK_TOKEN                              for `exchange`, `external-token` and `openid userinfo`
  SLACK_OAUTH_STORE                        the installation store URL (or --store URL)
  SLACK_OAUTH_STORE_CA                     a PEM file of CAs the store's TLS trusts (or --store-ca)

Installation stores (--store URL on access, user-access, install, token, installations):
  sqlite:PATH          a file on this machine (created 0600), shared by its processes
  postgres://...       PostgreSQL (also postgresql://...), shared by a fleet; TLS as libpq:
                       ?sslmode=disable|prefer|require|verify-ca|verify-full&sslrootcert=PATH,
                       verify-full unless set (prefer for localhost, 127.0.0.0/8, ::1, sockets)
  mysql://...          MySQL or MariaDB (also mariadb://...), shared by a fleet; TLS as mysql:
                       ?ssl-mode=DISABLED|PREFERRED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY&ssl-ca=PATH,
                       VERIFY_IDENTITY unless set (PREFERRED for localhost, 127.0.0.0/8, ::1)
  redis://...          Redis, shared by a fleet, in clear; rediss://... over TLS, verified
`rotate-config-token --store FILE` is another thing: a JSON file holding one configuration
token pair, never a URL (and SLACK_OAUTH_STORE does not apply to it).

stdout is one JSON object; stderr is for people. Exit codes: 0 success, 1 Slack answered
with an error (stdout: {\"ok\":false,\"error\":CODE,...}), 2 usage error, 3 transport or
protocol failure.

Examples:
  slack-oauth install --scope chat:write,commands
  SLACK_CONFIG_REFRESH_TOKEN=xoxe-1-... slack-oauth rotate-config-token | jq -r .token
  slack-oauth rotate-config-token --store ~/.config/slack/config-token.json
  slack-oauth install --scope chat:write --store sqlite:tokens.db
  slack-oauth token --store sqlite:tokens.db --team T0123 | jq -r .token
  slack-oauth sim --port 8080 & slack-oauth --base-url http://127.0.0.1:8080/api refresh";

/// Every Slack OAuth method, and the whole install, from a terminal or a CI script.
#[derive(Debug, Parser)]
#[command(name = "slack-oauth", version, after_help = MAIN_EXAMPLES)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where requests go and how.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Web API base URL: https, or http to a loopback host (the simulator)
    /// [default: https://slack.com/api]
    #[arg(long, global = true, value_name = "URL", conflicts_with = "gov")]
    pub base_url: Option<String>,

    /// Talk to GovSlack (https://slack-gov.com/api) instead of commercial Slack
    #[arg(long, global = true)]
    pub gov: bool,

    /// The HTTP client that sends the requests
    #[arg(long, global = true, value_enum, default_value_t = TransportKind::Ureq)]
    pub transport: TransportKind,

    /// Give up on a request after this many seconds (connecting included)
    #[arg(long, global = true, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub timeout: Duration,

    /// The app's client id [env: SLACK_CLIENT_ID]
    #[arg(long, global = true, value_name = "ID")]
    pub client_id: Option<String>,

    /// A file holding the app's client secret (`-` = stdin) [env: SLACK_CLIENT_SECRET]
    #[arg(long, global = true, value_name = "PATH")]
    pub client_secret_file: Option<PathBuf>,
}

/// Which transport crate sends requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransportKind {
    /// Blocking ureq 3 client
    Ureq,
    /// Async hyper 1 client on a tokio runtime (needs the `hyper` feature)
    Hyper,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print an authorize URL to send a user to (with --pkce, the PKCE verifier too)
    #[command(after_help = "\
stdout: {\"url\": ..., \"state\": ...} and, with --pkce, \"code_verifier\" (keep it for `access`).

Example:
  slack-oauth authorize-url --scope chat:write --redirect-uri https://example.com/slack/oauth --pkce \\
    | tee authorize.json | jq -r .url
  jq -r .code_verifier authorize.json > verifier.txt")]
    AuthorizeUrl(AuthorizeUrlArgs),

    /// oauth.v2.access: exchange an authorization code for tokens
    #[command(after_help = "\
The client secret is required unless --code-verifier-file is given (PKCE public client).
The code comes from --code-file PATH (`-` = stdin) or SLACK_AUTH_CODE, which stay private to
you; --code CODE works too, but a flag value shows in the process list (`ps`,
/proc/PID/cmdline) to every user of the machine while the command runs.

With --store URL (or SLACK_OAUTH_STORE) the installation is saved there as `Keeper::install`
saves it (the bot's record `APP/ENTERPRISE/TEAM/bot` and the installing user's
`APP/ENTERPRISE/TEAM/user/USER`) and stdout is only those keys, ids and expiry times (no
token); get the token with `slack-oauth token`.

Example:
  SLACK_CLIENT_ID=111.222 SLACK_CLIENT_SECRET=... SLACK_AUTH_CODE=4724469134.4644 \\
    slack-oauth access --redirect-uri https://example.com/slack/oauth")]
    Access(CodeArgs),

    /// oauth.v2.access with grant_type=refresh_token: refresh a rotating token
    #[command(after_help = "\
The refresh token comes from SLACK_REFRESH_TOKEN or --refresh-token-file. Refresh tokens are
single use: store the new `refresh_token` from stdout.

Example:
  slack-oauth refresh --refresh-token-file refresh.txt | jq -r .refresh_token > refresh.new")]
    Refresh(RefreshArgs),

    /// oauth.v2.user.access: exchange a code from /oauth/v2_user/authorize for a user token
    #[command(after_help = "\
The code comes from --code-file PATH (`-` = stdin) or SLACK_AUTH_CODE, which stay private to
you; --code CODE works too, but a flag value shows in the process list (`ps`,
/proc/PID/cmdline) to every user of the machine while the command runs.

Example:
  echo 4724469134.4644 | slack-oauth user-access --code-file - --redirect-uri https://example.com/slack/oauth")]
    UserAccess(CodeArgs),

    /// oauth.v2.exchange: trade a legacy long-lived token for a rotating token and refresh token
    #[command(after_help = "\
The legacy token comes from SLACK_TOKEN or --token-file; it can be exchanged once.

Example:
  slack-oauth exchange --token-file legacy-token.txt")]
    Exchange(TokenArgs),

    /// tooling.tokens.rotate: get a new app configuration token and refresh token
    #[command(after_help = "\
The refresh token comes from SLACK_CONFIG_REFRESH_TOKEN, --refresh-token-file, or the --store file.

With --store FILE the current pair is read from FILE (the JSON object this command prints) and
replaced atomically with the new pair. What it guarantees:
  - FILE is locked for the run: two runs on one FILE take turns, and the second rotates the
    pair the first stored.
  - Before Slack is called it checks that FILE can be replaced (a temporary file can be made
    beside it; the folder is not a sticky one, like /tmp, that forbids replacing it). Otherwise
    it exits 2 and the refresh token stays unspent.
  - The new pair is written to .slack-oauth-store-NAME.XXXXXXXX.tmp beside FILE (mode 0600),
    fsynced and renamed over FILE. If that rename fails, the temporary file is kept and its
    path printed on stderr; stderr says whether stdout got the pair too.
  - A run killed before the rename leaves that temporary file: the next run finds it, rotates
    the newer pair it holds, and removes leftovers that hold nothing of use.
  - A Slack or transport error leaves FILE byte for byte.

Example:
  slack-oauth rotate-config-token --store config-token.json && jq -r .token config-token.json")]
    RotateConfigToken(RotateArgs),

    /// apps.auth.external.get / apps.auth.external.delete: tokens of External Authentication
    #[command(
        subcommand,
        after_help = "\
The bearer token (usually a workflow token) comes from SLACK_TOKEN or --token-file.

Examples:
  slack-oauth external-token get --external-token-id Et0123
  slack-oauth external-token delete --external-token-id Et0123"
    )]
    ExternalToken(ExternalTokenCommand),

    /// The whole OAuth install: local redirect listener, authorize URL, code exchange
    #[command(after_help = "\
Listens on 127.0.0.1 for the redirect, prints the authorize URL on stderr (PKCE and state on),
waits for the callback, checks its state, exchanges the code and prints the installation on
stdout. Add the printed redirect URI to the app's Redirect URLs (use --port to keep it stable).
The client secret is optional: without one the app is treated as a PKCE public client.
Apps without PKCE turned on need --no-pkce (and the client secret).

The listener: any local process or web page can reach it, so a request to /callback that
does not carry this install's state (a forged `error=access_denied` included) is answered
400 and ignored, and the wait goes on. Connections are served concurrently; each must send
its request within 10 s and before --wait ends, and the whole wait ends at --wait: a slow
client can neither block Slack's redirect nor keep the command waiting longer.

With --store URL (or SLACK_OAUTH_STORE) the installation is saved there as `Keeper::install`
saves it (the bot's record `APP/ENTERPRISE/TEAM/bot` and the installing user's
`APP/ENTERPRISE/TEAM/user/USER`) and stdout is only those keys, ids and expiry times (no
token); get the token with `slack-oauth token`.

Example:
  slack-oauth install --scope chat:write,commands --port 8765 > installation.json
  slack-oauth install --scope chat:write --store sqlite:tokens.db")]
    Install(InstallArgs),

    /// The stored bot (or --user) token, refreshed first through the token keeper when due
    #[command(after_help = "\
stdout: {\"token\": ..., \"expires_at\": UNIX_SECONDS or null, \"refreshed\": true|false}.

The token is refreshed first when now >= expires_at - margin (--margin, default 7200 s; at
most half the token's lifetime is used, so a fresh token is never due). Only the printed token
is refreshed (bot and user tokens rotate separately), and once however many runs share the
store: the others wait for the refresh lease and print the stored result. `refreshed` is true
when the printed token is newer than the one stored when the run started.

Where it looks: the records `Keeper::install` writes, `APP/ENTERPRISE/TEAM/bot` and
`APP/ENTERPRISE/TEAM/user/USER`, through the keeper's own look-ups (`find_bot_token`,
`find_user_token`): the workspace's record, else with --enterprise an org-wide install of the
org (`APP/ENTERPRISE//bot`). Without --app the store's keys are searched for the team (or
with --enterprise alone, for the org-wide install), which also finds the enterprise of a
workspace in an org; when installations of several apps match, exit 2 asks for --app. A store
written by an earlier slack-oauth (short keys: `T0123`, `T0123:U0456`) is still read when
nothing in this layout matches.

Exit 1 with {\"ok\":false,\"error\":\"installation_not_found\"} when nothing is stored for the
key, or with Slack's error and \"needs_reinstall\":true when Slack refuses the refresh; exit 3
when the store or Slack cannot be reached. Needs the app's credentials (SLACK_CLIENT_ID,
SLACK_CLIENT_SECRET) to refresh.

Example:
  slack-oauth token --store sqlite:tokens.db --team T0123 | jq -r .token
  slack-oauth token --store postgres://app@db/slack --team T0123 --user U0456 --margin 600")]
    Token(KeptTokenArgs),

    /// The installations in a store: list their keys, delete one or a user's tokens
    #[command(
        subcommand,
        after_help = "\
Examples:
  slack-oauth installations list --store sqlite:tokens.db
  slack-oauth installations delete --store sqlite:tokens.db --team T0123 --user U0456"
    )]
    Installations(InstallationsCommand),

    /// Keys that seal installations at rest in the store (SLACK_OAUTH_KEYS)
    #[command(
        subcommand,
        after_help = "\
SLACK_OAUTH_KEYS=\"ID:BASE64KEY[,ID:BASE64KEY...]\" (32-byte keys in standard base64) turns
sealing on for every command that opens a store: the first key seals every write, the others
only open. See docs/tokens-at-rest.md for the rotation procedure.

Example:
  slack-oauth keys generate --id k2"
    )]
    Keys(KeysCommand),

    /// Sign in with Slack (OpenID Connect): authorize URL, verified sign-in, user profile
    #[command(
        subcommand,
        after_help = "\
Examples:
  slack-oauth openid authorize-url --scope openid,profile,email --redirect-uri https://example.com/login
  slack-oauth openid token --code C --redirect-uri https://example.com/login --nonce N
  SLACK_TOKEN=xoxp-... slack-oauth openid userinfo"
    )]
    Openid(OpenidCommand),

    /// Serve the Slack simulator on 127.0.0.1 (same as the slack-oauth-sim binary)
    #[command(after_help = "\
stdout: one JSON object with url, base_url, authorize_url, what --config seeded, and the demo
app's fake credentials when no --config is given. Serves until stopped.

Example:
  slack-oauth sim --port 8080 &
  slack-oauth --base-url http://127.0.0.1:8080/api rotate-config-token")]
    Sim(SimArgs),
}

/// `--store URL` of the installation commands.
#[derive(Debug, Args)]
pub struct StoreArg {
    /// Where installations are kept: sqlite:PATH, postgres://..., postgresql://...,
    /// mysql://..., mariadb://..., redis://... or rediss://... [env: SLACK_OAUTH_STORE]
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// The table (SQLite: NAME; PostgreSQL, MySQL: NAME or SCHEMA.NAME) or key prefix (Redis) in the
    /// store [env: SLACK_OAUTH_STORE_NAMESPACE] [default: slack_oauth_records / slack-oauth]
    #[arg(long, value_name = "NAME")]
    pub store_namespace: Option<String>,
    /// A PEM file of the certificate authorities TLS to the store trusts (default: Mozilla's
    /// roots; for PostgreSQL an sslrootcert in the URL wins) [env: SLACK_OAUTH_STORE_CA]
    #[arg(long, value_name = "PATH")]
    pub store_ca: Option<PathBuf>,
}

/// The variable `--store-ca` falls back to.
pub const ENV_STORE_CA: &str = "SLACK_OAUTH_STORE_CA";

impl StoreArg {
    /// `--store-ca`, else `SLACK_OAUTH_STORE_CA` (when not empty).
    pub fn ca(&self) -> Option<PathBuf> {
        self.store_ca.clone().or_else(|| {
            std::env::var_os(ENV_STORE_CA)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
    }
}

/// Which installation, and which of its tokens.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The app's id (`A…`, the `app_id` that `access --store` prints); only needed when the
    /// store holds installations of several apps in that workspace
    #[arg(long, value_name = "A", value_parser = parse_id)]
    pub app: Option<String>,
    /// The workspace (team) id
    #[arg(long, value_name = "T", value_parser = parse_id, required_unless_present = "enterprise")]
    pub team: Option<String>,
    /// The Enterprise Grid org id (with --team: that workspace, else an org-wide install of
    /// the org; alone: the org-wide install)
    #[arg(long, value_name = "E", value_parser = parse_id)]
    pub enterprise: Option<String>,
    /// This user's token instead of the bot token
    #[arg(long, value_name = "U", value_parser = parse_id)]
    pub user: Option<String>,
}

/// `token`.
#[derive(Debug, Args)]
pub struct KeptTokenArgs {
    /// The store.
    #[command(flatten)]
    pub store: StoreArg,
    /// The installation.
    #[command(flatten)]
    pub key: KeyArgs,
    /// Refresh when the token expires within this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 7200)]
    pub margin: u64,
}

/// `installations`.
#[derive(Debug, Subcommand)]
pub enum InstallationsCommand {
    /// The stored installations' keys and expiry times (never a token)
    #[command(after_help = "\
stdout: {\"ok\":true,\"tokens\":[{\"key\":\"A0123//T0123/bot\",\"kind\":\"bot\",\"app_id\":\"A0123\",
\"team_id\":\"T0123\",\"expires_at\":UNIX_SECONDS or null},...]}: one entry per stored token, in key
order; --app, --enterprise and --team keep only the tokens of those ids. Records a previous
slack-oauth stored under short keys (`T0123`) are listed with \"legacy\":true when no filter is
given.

Example:
  slack-oauth installations list --store sqlite:tokens.db --team T0123")]
    List(ListArgs),
    /// Delete an installation (app_uninstalled), or with --user only that user's tokens
    /// (tokens_revoked)
    #[command(after_help = "\
stdout: {\"ok\":true,\"deleted\":true|false,\"records\":N,\"tokens\":\"installation\"|\"user\",...};
deleting what is not there is not an error. Without --user every record of the installation
goes (`Keeper::uninstall`: the bot's and every user's, \"prefix\" says which); with --user only
that user's record (`Keeper::delete_user`, \"key\"). --team deletes that workspace's own
installation only; an org-wide install goes with --enterprise E and no --team. The
installation is found as `token` finds it (--app when several apps match; short keys of an
earlier slack-oauth when nothing in the new layout matches).

Example:
  slack-oauth installations delete --store sqlite:tokens.db --team T0123")]
    Delete(DeleteArgs),
    /// Seal every record again under the first key of SLACK_OAUTH_KEYS (after a rotation,
    /// or to seal records written in clear)
    #[command(after_help = "\
stdout: {\"ok\":true,\"key_id\":\"ID\",\"records\":N,\"rewritten\":N,\"current\":N,\"vanished\":N}.
Each record is rewritten by compare-and-swap, so running keepers lose nothing. Every record is
opened first: one sealed under a key the ring lacks (exit 3, naming the key id) or that does not
open (exit 3, naming the record) stops the run before anything is written.

Example:
  SLACK_OAUTH_KEYS=\"k2:...,k1:...\" slack-oauth installations rekey --store sqlite:tokens.db")]
    Rekey(RekeyArgs),
}

/// `installations rekey`.
#[derive(Debug, Args)]
pub struct RekeyArgs {
    /// The store.
    #[command(flatten)]
    pub store: StoreArg,
}

/// `keys`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// A new key: 32 bytes from the operating system's random source, printed as the ring
    /// entry ID:BASE64KEY (secret: it opens every sealed token)
    #[command(after_help = "\
stdout: {\"ok\":true,\"id\":\"ID\",\"entry\":\"ID:BASE64KEY\"}.

Example:
  slack-oauth keys generate --id k2 | jq -r .entry")]
    Generate(GenerateKeyArgs),
}

/// `keys generate`.
#[derive(Debug, Args)]
pub struct GenerateKeyArgs {
    /// The key's id: 1 to 32 of A-Z a-z 0-9 - _ [default: k and the Unix time]
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
}

/// `installations list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The store.
    #[command(flatten)]
    pub store: StoreArg,
    /// Only this app's tokens
    #[arg(long, value_name = "A", value_parser = parse_id)]
    pub app: Option<String>,
    /// Only the tokens of this Enterprise Grid org
    #[arg(long, value_name = "E", value_parser = parse_id)]
    pub enterprise: Option<String>,
    /// Only the tokens of this workspace
    #[arg(long, value_name = "T", value_parser = parse_id)]
    pub team: Option<String>,
}

/// `installations delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The store.
    #[command(flatten)]
    pub store: StoreArg,
    /// The installation.
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `authorize-url`.
#[derive(Debug, Args)]
pub struct AuthorizeUrlArgs {
    /// Bot scopes, comma-separated
    #[arg(long, value_name = "SCOPES", value_delimiter = ',')]
    pub scope: Vec<String>,
    /// User scopes, comma-separated
    #[arg(long, value_name = "SCOPES", value_delimiter = ',')]
    pub user_scope: Vec<String>,
    /// Where Slack sends the user back
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// The state to send (default: a fresh random value, printed in the output)
    #[arg(long, value_name = "S")]
    pub state: Option<String>,
    /// Add a PKCE challenge and print its verifier
    #[arg(long)]
    pub pkce: bool,
    /// Use the user-token-only endpoint /oauth/v2_user/authorize (for `user-access`)
    #[arg(long)]
    pub user_only: bool,
}

/// `access` and `user-access`.
#[derive(Debug, Args)]
pub struct CodeArgs {
    /// The authorization code from the redirect (single use, lives 10 minutes). Shows in
    /// process lists while the command runs: prefer --code-file or SLACK_AUTH_CODE
    #[arg(long, value_name = "CODE", conflicts_with = "code_file")]
    pub code: Option<String>,
    /// A file holding the authorization code (`-` = stdin) [env: SLACK_AUTH_CODE]
    #[arg(long, value_name = "PATH")]
    pub code_file: Option<PathBuf>,
    /// The redirect URI sent to the authorize step, if one was
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// A file holding the PKCE code verifier (`-` = stdin)
    #[arg(long, value_name = "PATH")]
    pub code_verifier_file: Option<PathBuf>,
    /// Save the installation in this store.
    #[command(flatten)]
    pub store: StoreArg,
}

/// `refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// A file holding the refresh token (`-` = stdin) [env: SLACK_REFRESH_TOKEN]
    #[arg(long, value_name = "PATH")]
    pub refresh_token_file: Option<PathBuf>,
}

/// `exchange`, `external-token get|delete`: a bearer token.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// A file holding the token (`-` = stdin) [env: SLACK_TOKEN]
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
}

/// `rotate-config-token`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// A file holding the configuration refresh token (`-` = stdin) [env: SLACK_CONFIG_REFRESH_TOKEN]
    #[arg(long, value_name = "PATH", conflicts_with = "store")]
    pub refresh_token_file: Option<PathBuf>,
    /// A JSON file holding the current pair, replaced atomically with the new one
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,
}

/// `external-token`.
#[derive(Debug, Subcommand)]
pub enum ExternalTokenCommand {
    /// apps.auth.external.get: the provider token behind an external token id
    #[command(after_help = "\
Example:
  SLACK_TOKEN=xwfp-... slack-oauth external-token get --external-token-id Et0123 | jq -r .external_token")]
    Get(ExternalGetArgs),
    /// apps.auth.external.delete: delete stored provider tokens (on Slack's side only)
    #[command(after_help = "\
Give --external-token-id, or --app-id (with --provider-key for one provider).

Example:
  slack-oauth external-token delete --token-file token.txt --app-id A0123 --provider-key google")]
    Delete(ExternalDeleteArgs),
}

/// `external-token get`.
#[derive(Debug, Args)]
pub struct ExternalGetArgs {
    /// The external token id (`Et…`)
    #[arg(long, value_name = "ID")]
    pub external_token_id: String,
    /// Refresh the provider token even if it has not expired
    #[arg(long)]
    pub force_refresh: bool,
    /// The bearer token.
    #[command(flatten)]
    pub token: TokenArgs,
}

/// `external-token delete`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).multiple(true)
    .args(["app_id", "external_token_id"])))]
pub struct ExternalDeleteArgs {
    /// Delete the tokens of this app
    #[arg(long, value_name = "A")]
    pub app_id: Option<String>,
    /// Delete this one token
    #[arg(long, value_name = "ID")]
    pub external_token_id: Option<String>,
    /// Delete the app's tokens for this provider only
    #[arg(long, value_name = "K", requires = "app_id")]
    pub provider_key: Option<String>,
    /// The bearer token.
    #[command(flatten)]
    pub token: TokenArgs,
}

/// `install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Bot scopes, comma-separated
    #[arg(long, value_name = "SCOPES", value_delimiter = ',')]
    pub scope: Vec<String>,
    /// User scopes, comma-separated
    #[arg(long, value_name = "SCOPES", value_delimiter = ',')]
    pub user_scope: Vec<String>,
    /// Port to listen on for the redirect (0 = any free port)
    #[arg(long, value_name = "P", default_value_t = 0)]
    pub port: u16,
    /// Give up when no redirect arrives within this many seconds
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = parse_seconds)]
    pub wait: Duration,
    /// Leave PKCE out, for apps that do not have it turned on (the client secret is then required)
    #[arg(long)]
    pub no_pkce: bool,
    /// Save the installation in this store.
    #[command(flatten)]
    pub store: StoreArg,
}

/// `openid`.
#[derive(Debug, Subcommand)]
pub enum OpenidCommand {
    /// The Sign in with Slack authorize URL (/openid/connect/authorize) to send a user to
    #[command(after_help = "\
stdout: {\"url\": ..., \"state\": ..., \"nonce\": ...}; without --state or --nonce a fresh random
one is drawn. Keep the nonce for `openid token --nonce`.

Example:
  slack-oauth openid authorize-url --scope openid,profile,email \\
    --redirect-uri https://example.com/login | jq -r .url")]
    AuthorizeUrl(OpenidAuthorizeUrlArgs),

    /// openid.connect.token, then the id_token checked against Slack's keys
    #[command(after_help = "\
Exchanges the code, fetches the key set (/openid/connect/keys), checks the id_token (RS256
signature, issuer https://slack.com, audience = the client id, expiry, the nonce, at_hash)
and prints {\"ok\":true,\"claims\":{...},\"access_token_expires_at\":UNIX_SECONDS or null}.
No token is printed. A refused id_token exits 1 with {\"ok\":false,\"error\":CHECK}: CHECK is
nonce_mismatch, bad_signature, unknown_key, expired, wrong_audience, wrong_issuer,
not_yet_valid, at_hash_mismatch, unsupported_algorithm, missing_claim, missing_id_token or
malformed. Needs the client id and secret. The code comes from --code, --code-file PATH (`-` =
stdin) or SLACK_AUTH_CODE.

Example:
  slack-oauth openid token --code 4724469134.4644 --redirect-uri https://example.com/login \\
    --nonce N | jq .claims.sub")]
    Token(OpenidTokenArgs),

    /// openid.connect.userInfo: the profile of the user whose token SLACK_TOKEN holds
    #[command(after_help = "\
The user token (from Sign in with Slack, scope openid) comes from SLACK_TOKEN or --token-file.

Example:
  SLACK_TOKEN=xoxp-... slack-oauth openid userinfo | jq -r .email")]
    Userinfo(TokenArgs),
}

/// `openid authorize-url`.
#[derive(Debug, Args)]
pub struct OpenidAuthorizeUrlArgs {
    /// Scopes, comma-separated: openid (always sent), profile, email
    #[arg(long, value_name = "SCOPES", value_delimiter = ',')]
    pub scope: Vec<String>,
    /// Where Slack sends the user back
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// The nonce Slack puts in the id_token (default: a fresh random value, printed)
    #[arg(long, value_name = "N")]
    pub nonce: Option<String>,
    /// The state to send (default: a fresh random value, printed)
    #[arg(long, value_name = "S")]
    pub state: Option<String>,
}

/// `openid token`.
#[derive(Debug, Args)]
pub struct OpenidTokenArgs {
    /// The authorization code from the redirect. Shows in process lists while the command
    /// runs: prefer --code-file or SLACK_AUTH_CODE
    #[arg(long, value_name = "CODE", conflicts_with = "code_file")]
    pub code: Option<String>,
    /// A file holding the authorization code (`-` = stdin) [env: SLACK_AUTH_CODE]
    #[arg(long, value_name = "PATH")]
    pub code_file: Option<PathBuf>,
    /// The redirect URI sent to the authorize page, if one was
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// The nonce sent to the authorize page; without it the id_token must carry none (or
    /// Slack's empty one)
    #[arg(long, value_name = "N")]
    pub nonce: Option<String>,
}

/// `sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port to listen on (0 = any free port)
    #[arg(long, value_name = "P", default_value_t = 0)]
    pub port: u16,
    /// JSON file of apps, tokens and faults to load (the slack-oauth-sim format); without
    /// it one demo app is registered (client id 111.222, secret app-secret)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// A Slack id (app, org, workspace, user): not empty, since an empty id means "none" in a
/// store key (an org-wide install has no team).
fn parse_id(text: &str) -> Result<String, String> {
    let id = text.trim();
    if id.is_empty() {
        return Err("expected an id, got an empty value".into());
    }
    Ok(id.to_owned())
}

/// A positive number of seconds, fractions allowed (`0.5`), at most one day.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(seconds > 0.0 && seconds <= 86_400.0) {
        return Err("expected a number of seconds above 0 and at most 86400".into());
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_an_example() {
        let cli = Cli::command();
        let mut stack: Vec<&clap::Command> = vec![&cli];
        while let Some(command) = stack.pop() {
            let help = command
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(
                help.contains("Example"),
                "{} has no example",
                command.get_name()
            );
            stack.extend(command.get_subcommands());
        }
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["0", "-1", "NaN", "inf", "x", "100000"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
