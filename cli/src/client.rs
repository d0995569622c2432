//! The transport chosen with `--transport`, behind one blocking `call`.

use std::time::Duration;

use slack_oauth::{Api, Method, Reply};

use crate::args::TransportKind;
use crate::fail::Failure;

/// The connect timeout is this, or the total timeout when that is shorter.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A blocking caller over either transport.
pub enum Caller {
    /// `--transport ureq`.
    Ureq(slack_oauth::ureq::Client),
    /// `--transport hyper`: the async client driven by a current-thread runtime.
    #[cfg(feature = "hyper")]
    Hyper {
        /// The client.
        client: slack_oauth::hyper::Client,
        /// Runs one call at a time to completion.
        runtime: tokio::runtime::Runtime,
    },
}

impl Caller {
    /// A caller for `api` over `kind`, giving up on a request after `timeout`.
    pub fn new(kind: TransportKind, api: Api, timeout: Duration) -> Result<Caller, Failure> {
        let connect = timeout.min(CONNECT_TIMEOUT);
        let agent = concat!("slack-oauth-cli/", env!("CARGO_PKG_VERSION"));
        match kind {
            TransportKind::Ureq => {
                let config = slack_oauth::ureq::Config::default()
                    .timeout(timeout)
                    .connect_timeout(connect)
                    .user_agent_suffix(agent);
                slack_oauth::ureq::Client::with_config(api, config)
                    .map(Caller::Ureq)
                    .map_err(|e| Failure::Usage(e.to_string()))
            }
            #[cfg(feature = "hyper")]
            TransportKind::Hyper => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| Failure::Transport(format!("cannot start tokio: {e}")))?;
                let config = slack_oauth::hyper::Config::default()
                    .timeout(timeout)
                    .connect_timeout(connect)
                    .user_agent_suffix(agent);
                // hyper-util's client spawns its connection tasks on the ambient runtime.
                let client = {
                    let _guard = runtime.enter();
                    slack_oauth::hyper::Client::with_config(api, config)
                        .map_err(|e| Failure::Usage(e.to_string()))?
                };
                Ok(Caller::Hyper { client, runtime })
            }
            #[cfg(not(feature = "hyper"))]
            TransportKind::Hyper => Err(Failure::Usage(
                "this slack-oauth was built without the `hyper` feature; use --transport ureq"
                    .into(),
            )),
        }
    }

    /// Calls `method` and waits for its typed result.
    pub fn call<M: Method + Sync>(&self, method: &M) -> Result<Reply<M::Response>, Failure> {
        match self {
            Caller::Ureq(client) => Ok(client.call(method)?),
            #[cfg(feature = "hyper")]
            Caller::Hyper { client, runtime } => Ok(runtime.block_on(client.call(method))?),
        }
    }

    /// Sends a request core built (the key set's `GET`) and returns the response as it came.
    pub fn send(
        &self,
        request: slack_oauth::http::Request<Vec<u8>>,
    ) -> Result<slack_oauth::http::Response<Vec<u8>>, Failure> {
        match self {
            Caller::Ureq(client) => Ok(client.send(request)?),
            #[cfg(feature = "hyper")]
            Caller::Hyper { client, runtime } => Ok(runtime.block_on(client.send(request))?),
        }
    }
}
