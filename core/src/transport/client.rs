//! [`HttpClient`] and [`AsyncHttpClient`]: the HTTP client as a plug-in, the way oauth2-rs
//! has it. A client takes an [`http::Request`] of core's and gives back the
//! [`http::Response`] as it came; everything above it (the typed call, the keepers) is
//! written once, here in core, over these traits.
//!
//! Besides moving bytes, a client says how its runtime keeps time, which core never reads
//! itself: the clock (`now`), a pause (`sleep`) and, in async code, how a task outlives its
//! caller (`spawn`).

use std::future::Future;
use std::time::Duration;

use http::{Request, Response};

use crate::api::Api;
use crate::method_trait::Method;
use crate::response::{parse, Reply};
use crate::transport::Error;

/// A blocking HTTP client for core's requests: `slack-oauth-ureq`'s `Client`, or one of
/// your own. [`Keeper`](crate::keeper::Keeper) keeps tokens alive over any of them.
///
/// ```
/// use http::{Request, Response};
/// use slack_oauth_core::transport::{Error, HttpClient};
/// use slack_oauth_core::{tooling_tokens::Rotate, Api};
///
/// /// A client that answers every request itself, as a test double would.
/// struct Canned(Api);
///
/// impl HttpClient for Canned {
///     fn api(&self) -> &Api {
///         &self.0
///     }
///
///     fn send(&self, _request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Error> {
///         Ok(Response::new(br#"{"ok":false,"error":"invalid_refresh_token"}"#.to_vec()))
///     }
///
///     fn now(&self) -> u64 {
///         1_700_000_000
///     }
///
///     fn sleep(&self, pause: std::time::Duration) {
///         std::thread::sleep(pause);
///     }
/// }
///
/// let refused = Canned(Api::new()).call(&Rotate::new("xoxe-1-R")).unwrap_err();
/// assert!(refused.needs_reinstall());
/// ```
pub trait HttpClient {
    /// The [`Api`] requests are built with (base URL, credentials, user agent).
    fn api(&self) -> &Api;

    /// Sends `request` and returns the response as it came: every status (a 4xx, 5xx or
    /// redirect is a response, not an error), every header and the body bytes. What it
    /// refuses or fails with is a transport [`Error`]; it must not follow redirects.
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Error>;

    /// The time now, in Unix seconds: the wall clock a keeper over this client reads
    /// (token expiry crosses processes, so never an `Instant`).
    fn now(&self) -> u64;

    /// A cheap reading never behind [`HttpClient::now`], tried first on a keeper's fresh
    /// path so that most calls skip the exact clock; `None` (the default) when there is none.
    fn not_behind(&self) -> Option<u64> {
        None
    }

    /// Pauses the calling thread, while a keeper waits for another holder's lease or before
    /// it writes a refresh answer again: `std::thread::sleep` on most targets. Core never
    /// blocks by itself, so the client says how.
    fn sleep(&self, pause: Duration);

    /// Calls `method`: builds its request with [`HttpClient::api`], sends it and reads
    /// Slack's answer into its typed result.
    fn call<M: Method>(&self, method: &M) -> Result<Reply<M::Response>, Error>
    where
        Self: Sized,
    {
        let request = self.api().request(method)?;
        Ok(parse::<M, _>(&self.send(request)?)?)
    }
}

/// An async HTTP client for core's requests: `slack-oauth-hyper`'s `Client`, or one of your
/// own. [`AsyncKeeper`](crate::keeper::AsyncKeeper) keeps tokens alive over any of them.
///
/// Core has no runtime, so the client also says how to pause ([`AsyncHttpClient::sleep`])
/// and how to run a task that outlives its caller ([`AsyncHttpClient::spawn`]).
///
/// **Why `spawn`.** A refresh token is single-use: once a refresh request is sent, Slack's
/// answer is the only copy of the new pair. An async caller may be dropped at any `await`
/// (a request timeout, a closed connection), so the keeper runs each refresh as a task of
/// its own, which finishes and stores the answer whatever happens to the caller; callers
/// waiting behind it get the stored result. On Tokio, `spawn` is `tokio::spawn`. A client
/// that runs the task in place instead gives up that guarantee, and should say so.
pub trait AsyncHttpClient: Send + Sync {
    /// The [`Api`] requests are built with (base URL, credentials, user agent).
    fn api(&self) -> &Api;

    /// Sends `request` and returns the response as it came: every status, every header and
    /// the body bytes, as [`HttpClient::send`] does.
    fn send(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, Error>> + Send;

    /// The time now, in Unix seconds (see [`HttpClient::now`]).
    fn now(&self) -> u64;

    /// A cheap reading never behind [`AsyncHttpClient::now`] (see [`HttpClient::not_behind`]).
    fn not_behind(&self) -> Option<u64> {
        None
    }

    /// A pause of `pause` on the runtime's timer.
    fn sleep(&self, pause: Duration) -> impl Future<Output = ()> + Send;

    /// Starts `task` on the runtime at once, detached from the caller, and gives a future of
    /// its output: `None` when the runtime dropped the task unfinished (it is shutting
    /// down). A panic in the task resumes in the caller. The task keeps running when the
    /// returned future is dropped.
    fn spawn<T: Send + 'static>(
        &self,
        task: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = Option<T>> + Send;

    /// Calls `method`: builds its request with [`AsyncHttpClient::api`], sends it and reads
    /// Slack's answer into its typed result.
    fn call<M: Method + Sync>(
        &self,
        method: &M,
    ) -> impl Future<Output = Result<Reply<M::Response>, Error>> + Send
    where
        Self: Sized,
    {
        async move {
            let request = self.api().request(method)?;
            Ok(parse::<M, _>(&self.send(request).await?)?)
        }
    }
}
