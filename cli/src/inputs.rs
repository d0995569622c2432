//! What every command reads first: the client id and secret, the `Api` for `--base-url` /
//! `--gov`, and the transport `--transport` names. Below the commands, so that `install`,
//! the `--store` commands and the rest share them without importing each other.

use slack_oauth::{Api, ClientCredentials};

use crate::args::Global;
use crate::client::Caller;
use crate::fail::Failure;
use crate::secrets::SecretReader;

/// Environment variables the inputs come from.
pub const ENV_CLIENT_ID: &str = "SLACK_CLIENT_ID";
/// The client secret.
pub const ENV_CLIENT_SECRET: &str = "SLACK_CLIENT_SECRET";
/// `refresh`'s refresh token.
pub const ENV_REFRESH_TOKEN: &str = "SLACK_REFRESH_TOKEN";
/// `rotate-config-token`'s refresh token.
pub const ENV_CONFIG_REFRESH_TOKEN: &str = "SLACK_CONFIG_REFRESH_TOKEN";
/// The bearer token of `exchange` and `external-token`.
pub const ENV_TOKEN: &str = "SLACK_TOKEN";
/// The authorization code of `access` and `user-access`.
pub const ENV_AUTH_CODE: &str = "SLACK_AUTH_CODE";

/// The `Api` for `--base-url` / `--gov`, without credentials.
pub fn api(global: &Global) -> Result<Api, Failure> {
    let api = if global.gov { Api::gov() } else { Api::new() };
    match &global.base_url {
        Some(url) => Ok(api.with_base_url(url)?),
        None => Ok(api),
    }
}

/// The transport `--transport` names.
pub fn caller(global: &Global, api: Api) -> Result<Caller, Failure> {
    Caller::new(global.transport, api, global.timeout)
}

/// Whether a command cannot work without the client secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// The method fails without it.
    Required,
    /// Without it the app is a PKCE public client (client id alone).
    Optional,
}

/// The client id: `--client-id`, else `SLACK_CLIENT_ID`.
pub fn client_id(global: &Global) -> Result<String, Failure> {
    let client_id = match &global.client_id {
        Some(id) => id.trim().to_owned(),
        None => std::env::var(ENV_CLIENT_ID)
            .map(|id| id.trim().to_owned())
            .unwrap_or_default(),
    };
    if client_id.is_empty() {
        return Err(Failure::Usage(format!(
            "the client id is missing: set {ENV_CLIENT_ID} or pass --client-id ID"
        )));
    }
    Ok(client_id)
}

/// The client id (`--client-id`, `SLACK_CLIENT_ID`) and secret (`--client-secret-file`,
/// `SLACK_CLIENT_SECRET`).
pub fn credentials(
    global: &Global,
    secrets: &mut SecretReader,
    secret: Secret,
) -> Result<ClientCredentials, Failure> {
    let client_id = client_id(global)?;
    let client_secret = match secret {
        Secret::Required => Some(secrets.required(
            global.client_secret_file.as_deref(),
            ENV_CLIENT_SECRET,
            "--client-secret-file",
            "the client secret",
        )?),
        Secret::Optional => secrets.optional(
            global.client_secret_file.as_deref(),
            ENV_CLIENT_SECRET,
            "--client-secret-file",
        )?,
    };
    Ok(match client_secret {
        Some(secret) => ClientCredentials::new(client_id, secret),
        None => ClientCredentials::public(client_id),
    })
}
