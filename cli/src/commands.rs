//! One function per command: gather inputs (usage errors first, before any request), call,
//! print.

use serde::Serialize;
use slack_oauth::apps_auth_external::{Delete, Get};
use slack_oauth::oauth_v2::{Access, AccessResponse, Exchange, UserAccess};
use slack_oauth::tooling_tokens::Rotate;
use slack_oauth::Reply;

use crate::args::{
    Cli, CodeArgs, Command, ExternalTokenCommand, Global, InstallationsCommand, KeysCommand,
    OpenidCommand, RefreshArgs, RotateArgs, TokenArgs,
};
use crate::fail::Failure;
use crate::inputs::{
    api, caller, credentials, Secret, ENV_AUTH_CODE, ENV_CLIENT_SECRET, ENV_CONFIG_REFRESH_TOKEN,
    ENV_REFRESH_TOKEN, ENV_TOKEN,
};
use crate::output::{self, WithWarnings};
use crate::secrets::SecretReader;
use crate::store::{ReplaceError, Store};
use crate::Outcome;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Outcome {
    let Cli { global, command } = cli;
    let mut secrets = SecretReader::default();
    match command {
        Command::AuthorizeUrl(args) => crate::install::authorize_url(&global, args),
        Command::Access(args) => code_grant(&global, &mut secrets, args, Access::code),
        Command::UserAccess(args) => code_grant(&global, &mut secrets, args, UserAccess::code),
        Command::Refresh(args) => refresh(&global, &mut secrets, args),
        Command::Exchange(args) => exchange(&global, &mut secrets, args),
        Command::RotateConfigToken(args) => rotate(&global, &mut secrets, args),
        Command::ExternalToken(ExternalTokenCommand::Get(args)) => {
            let token = bearer(&mut secrets, &args.token)?;
            let method = Get::new(token, args.external_token_id).force_refresh(args.force_refresh);
            print(caller(&global, api(&global)?)?.call(&method)?)
        }
        Command::ExternalToken(ExternalTokenCommand::Delete(args)) => {
            let token = bearer(&mut secrets, &args.token)?;
            let mut method = Delete::new(token);
            if let Some(app_id) = args.app_id {
                method = method.app_id(app_id);
            }
            if let Some(key) = args.provider_key {
                method = method.provider_key(key);
            }
            if let Some(id) = args.external_token_id {
                method = method.external_token_id(id);
            }
            print(caller(&global, api(&global)?)?.call(&method)?)
        }
        Command::Install(args) => crate::install::install(&global, &mut secrets, args),
        Command::Sim(args) => crate::sim::run(args),
        Command::Token(args) => crate::kept::token(&global, &mut secrets, args),
        Command::Installations(InstallationsCommand::List(args)) => {
            crate::kept::list(&global, args)
        }
        Command::Installations(InstallationsCommand::Delete(args)) => {
            crate::kept::delete(&global, args)
        }
        Command::Installations(InstallationsCommand::Rekey(args)) => {
            crate::kept::rekey(&global, args)
        }
        Command::Keys(KeysCommand::Generate(args)) => crate::keys::generate(args),
        Command::Openid(OpenidCommand::AuthorizeUrl(args)) => {
            crate::openid::authorize_url(&global, args)
        }
        Command::Openid(OpenidCommand::Token(args)) => {
            crate::openid::token(&global, &mut secrets, args)
        }
        Command::Openid(OpenidCommand::Userinfo(args)) => {
            crate::openid::userinfo(&global, &mut secrets, args)
        }
    }
}

/// `access` and `user-access`: the code grant of `oauth.v2.access` / `oauth.v2.user.access`.
fn code_grant<M>(
    global: &Global,
    secrets: &mut SecretReader,
    args: CodeArgs,
    new: fn(String) -> M,
) -> Outcome
where
    M: CodeGrant,
{
    let verifier = match &args.code_verifier_file {
        Some(path) => Some(secrets.read_file(path, "--code-verifier-file")?),
        None => None,
    };
    // With PKCE the app may be a public client; without it Slack needs the secret.
    let need = if verifier.is_some() {
        Secret::Optional
    } else {
        Secret::Required
    };
    let credentials = credentials(global, secrets, need)?;
    let code = match args.code {
        Some(code) if code.trim().is_empty() => {
            return Err(Failure::Usage("--code is empty".into()))
        }
        Some(code) => code.trim().to_owned(),
        None => secrets.required(
            args.code_file.as_deref(),
            ENV_AUTH_CODE,
            "--code-file",
            "the authorization code",
        )?,
    };
    // Opened before the call: an unreachable store is found while the code is unspent.
    let store = match crate::kept::url(&args.store) {
        Some(url) => Some(crate::kept::open(&url, &args.store, global)?),
        None => None,
    };
    let mut method = new(code);
    if let Some(uri) = args.redirect_uri {
        method = method.with_redirect_uri(uri);
    }
    if let Some(verifier) = verifier {
        method = method.with_code_verifier(verifier);
    }
    let caller = caller(global, api(global)?.with_credentials(credentials))?;
    let reply = caller.call(&method)?;
    match store {
        Some(store) => {
            let installation = crate::kept::installation_now(reply.value)?;
            crate::kept::save(&store, &installation, &reply.warnings, global)
        }
        None => print(reply),
    }
}

/// What `access` and `user-access` share.
trait CodeGrant: slack_oauth::Method<Response = AccessResponse> + Sync + Sized {
    fn with_redirect_uri(self, uri: String) -> Self;
    fn with_code_verifier(self, verifier: String) -> Self;
}

impl CodeGrant for Access {
    fn with_redirect_uri(self, uri: String) -> Self {
        self.redirect_uri(uri)
    }
    fn with_code_verifier(self, verifier: String) -> Self {
        self.code_verifier(verifier)
    }
}

impl CodeGrant for UserAccess {
    fn with_redirect_uri(self, uri: String) -> Self {
        self.redirect_uri(uri)
    }
    fn with_code_verifier(self, verifier: String) -> Self {
        self.code_verifier(verifier)
    }
}

/// `refresh`: `oauth.v2.access` with `grant_type=refresh_token`.
fn refresh(global: &Global, secrets: &mut SecretReader, args: RefreshArgs) -> Outcome {
    let token = secrets.required(
        args.refresh_token_file.as_deref(),
        ENV_REFRESH_TOKEN,
        "--refresh-token-file",
        "the refresh token",
    )?;
    // PKCE apps refresh without a secret; others get `invalid_client` from Slack, which is
    // clearer than guessing here which kind of app this is.
    let credentials = credentials(global, secrets, Secret::Optional)?;
    if credentials.client_secret.is_none() {
        eprintln!(
            "note: no client secret ({ENV_CLIENT_SECRET} or --client-secret-file): \
             refreshing as a PKCE public client"
        );
    }
    let caller = caller(global, api(global)?.with_credentials(credentials))?;
    print(caller.call(&Access::refresh(token))?)
}

/// `exchange`: `oauth.v2.exchange` (legacy token + client id and secret).
fn exchange(global: &Global, secrets: &mut SecretReader, args: TokenArgs) -> Outcome {
    let token = bearer(secrets, &args)?;
    let credentials = credentials(global, secrets, Secret::Required)?;
    let caller = caller(global, api(global)?.with_credentials(credentials))?;
    print(caller.call(&Exchange::new(token))?)
}

/// `rotate-config-token`, with or without `--store`.
fn rotate(global: &Global, secrets: &mut SecretReader, args: RotateArgs) -> Outcome {
    let Some(path) = &args.store else {
        let token = secrets.required(
            args.refresh_token_file.as_deref(),
            ENV_CONFIG_REFRESH_TOKEN,
            "--refresh-token-file",
            "the configuration refresh token",
        )?;
        return print(caller(global, api(global)?)?.call(&Rotate::new(token))?);
    };
    // Opened (and its temporary file created) before the call: a store we cannot replace
    // is found while its refresh token is still unspent.
    let (store, current) = Store::open(path)?;
    let caller = caller(global, api(global)?)?;
    // On an error `store` is dropped here: the file stays as it was, the temporary file goes.
    let shown = store.path().display().to_string();
    let reply =
        caller
            .call(&Rotate::new(current.refresh_token))
            .map_err(|failure| match failure {
                // A timeout or broken connection may come after Slack rotated: say so, since the
                // stored refresh token may then be spent.
                Failure::Transport(message) => Failure::Transport(format!(
                    "{message}; the store {shown} is unchanged, but if the request reached Slack \
                 its refresh token may be spent"
                )),
                other => other,
            })?;
    let stored = store.replace(&reply.value);
    let printed = output::print_checked(&WithWarnings::new(&reply.value, &reply.warnings))?;
    let spent = "the old refresh token no longer works";
    match (stored, printed) {
        (Ok(()), _) => {
            eprintln!("stored the new configuration token pair in {shown}");
            Ok(())
        }
        (Err(ReplaceError::Kept { error, kept }), printed) => {
            let also = match printed {
                Ok(()) => " and is on stdout".to_owned(),
                Err(e) => format!(" (it could not be printed on stdout: {e})"),
            };
            Err(Failure::Transport(format!(
                "the rotation succeeded but the store {shown} could not be replaced: {error}; \
                 the new pair is kept in {} (readable only by you){also}. Move that file over \
                 the store (the next run with this --store also finds and uses it); {spent}",
                kept.display()
            )))
        }
        (Err(ReplaceError::NotWritten(error)), Ok(())) => Err(Failure::Transport(format!(
            "the rotation succeeded but the new pair could not be written beside the store \
             {shown}: {error}; the new pair is only on stdout: save it now, {spent}"
        ))),
        (Err(ReplaceError::NotWritten(error)), Err(e)) => Err(Failure::Transport(format!(
            "the rotation succeeded but the new pair could not be written beside the store \
             {shown} ({error}) and could not be printed on stdout ({e}): it is lost and {spent}; \
             generate a new configuration token"
        ))),
    }
}

/// The bearer token of `exchange` and `external-token`.
fn bearer(secrets: &mut SecretReader, args: &TokenArgs) -> Result<String, Failure> {
    secrets.required(
        args.token_file.as_deref(),
        ENV_TOKEN,
        "--token-file",
        "the token",
    )
}

/// Prints a successful reply.
pub fn print<T: Serialize>(reply: Reply<T>) -> Outcome {
    output::print(&WithWarnings::new(&reply.value, &reply.warnings))
}
