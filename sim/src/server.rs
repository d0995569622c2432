//! [`Server`]: the simulator on a loopback socket (hyper 1, HTTP/1.1, own thread and runtime).

use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::sync::oneshot;

use crate::events::{Event, RetryReason};
use crate::fault::Fault;
use crate::sim::Sim;

/// Limits and timeouts of a [`Server`].
///
/// ```
/// use std::time::Duration;
/// use slack_oauth_sim::ServerConfig;
/// let config = ServerConfig::default().max_body(64 * 1024).body_timeout(Duration::from_secs(2));
/// assert_eq!(config.get_max_body(), 64 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct ServerConfig {
    port: u16,
    max_body: usize,
    max_header_bytes: usize,
    header_timeout: Duration,
    body_timeout: Duration,
    shutdown_grace: Duration,
    event_timeout: Duration,
    event_retry_delays: Vec<Duration>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            port: 0,
            max_body: 1024 * 1024,
            max_header_bytes: 16 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(1),
            event_timeout: EVENT_TIMEOUT,
            event_retry_delays: EVENT_RETRY_DELAYS.to_vec(),
        }
    }
}

impl ServerConfig {
    /// The port on 127.0.0.1 (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Largest request body read (default 1 MiB); larger ones get HTTP 413.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The request line and headers must fit in this many bytes (default 16 KiB, at least
    /// 8 KiB); larger ones get HTTP 431.
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes;
        self
    }

    /// How long a client may take to send the request headers (default 10 s).
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// How long a client may take to send the body (default 10 s); then Slack's
    /// `request_timeout` answer.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How long dropping the server waits for requests in progress (default 1 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// How long an app's request URL has to answer an event with a 2xx (default 3 s, as
    /// Slack); later counts as `http_timeout`.
    pub fn event_timeout(mut self, timeout: Duration) -> Self {
        self.event_timeout = timeout;
        self
    }

    /// The waits before each retry of a failed event (default: at once, 1 minute, 5 minutes,
    /// Slack's schedule). An empty list: no retries.
    pub fn event_retry_delays(mut self, delays: impl Into<Vec<Duration>>) -> Self {
        self.event_retry_delays = delays.into();
        self
    }

    /// The configured body limit.
    pub fn get_max_body(&self) -> usize {
        self.max_body
    }
}

/// Slack's timeout for an event delivery (<https://docs.slack.dev/apis/events-api/#retries>).
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(3);
/// Slack's retry schedule for a failed event: nearly at once, after one minute, after five.
pub const EVENT_RETRY_DELAYS: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_secs(60),
    Duration::from_secs(300),
];
/// The most of an app's answer to an event that is read.
const EVENT_ANSWER_LIMIT: usize = 64 * 1024;

/// The simulator served on `127.0.0.1`, on its own thread with its own tokio runtime.
///
/// Dropping it stops the server: the port is closed, idle keep-alive connections are closed,
/// and requests in progress get [`ServerConfig::shutdown_grace`] to finish.
///
/// ```
/// use slack_oauth_sim::{Server, Sim};
/// let server = Server::start(Sim::new())?;
/// assert!(server.base_url().starts_with("http://127.0.0.1:"));
/// assert!(server.base_url().ends_with("/api"));
/// drop(server);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Server {
    addr: SocketAddr,
    sim: Sim,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Serves `sim` on `127.0.0.1` on a free port.
    pub fn start(sim: Sim) -> io::Result<Server> {
        Server::start_with(sim, ServerConfig::default())
    }

    /// Serves `sim` on `127.0.0.1:port` (0: any free port).
    pub fn start_on(sim: Sim, port: u16) -> io::Result<Server> {
        Server::start_with(sim, ServerConfig::default().port(port))
    }

    /// Serves `sim` with these limits.
    pub fn start_with(sim: Sim, config: ServerConfig) -> io::Result<Server> {
        let listener = StdListener::bind((Ipv4Addr::LOCALHOST, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let (tx, rx) = oneshot::channel();
        let served = sim.clone();
        let grace = config.shutdown_grace;
        let thread = std::thread::Builder::new()
            .name(format!("slack-oauth-sim:{}", addr.port()))
            .spawn(move || {
                runtime.block_on(accept_loop(listener, served, config, rx));
                // Connections still running past the grace period are dropped here.
                runtime.shutdown_timeout(grace);
            })?;
        Ok(Server {
            addr,
            sim,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/api`: the base URL for `Api::with_base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// `http://127.0.0.1:PORT/oauth/v2/authorize`: the authorize page (auto-approving for
    /// scripts, a consent page for browsers).
    pub fn authorize_url(&self) -> String {
        format!("http://{}/oauth/v2/authorize", self.addr)
    }

    /// The simulator being served.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Stops the server (the same as dropping it).
    pub fn shutdown(self) {}
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            // Bounded: the loop waits at most the grace period, then the runtime shuts down
            // with the same bound.
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: StdListener,
    sim: Sim,
    config: ServerConfig,
    mut shutdown: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_buf_size(config.max_header_bytes.max(8192))
        .max_headers(100);
    // Events go out on their own tasks: a slow or dead app never holds up an answer.
    tokio::spawn(send_events(sim.clone(), config.clone()));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of file descriptors or similar: back off instead of spinning.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let sim = sim.clone();
                let config = config.clone();
                let service = service_fn(move |req| {
                    let sim = sim.clone();
                    let config = config.clone();
                    async move { Ok::<_, Infallible>(respond(&sim, &config, req).await) }
                });
                let connection = builder.serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    // Client errors (garbage, resets, timeouts) end only this connection.
                    let _ = watched.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(config.shutdown_grace, graceful.shutdown()).await;
}

async fn respond(sim: &Sim, config: &ServerConfig, req: Request<Incoming>) -> Response<SimBody> {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > config.max_body as u64) {
        return too_large();
    }
    let read = Limited::new(body, config.max_body).collect();
    let bytes = match tokio::time::timeout(config.body_timeout, read).await {
        Err(_) => {
            let mut response = full(
                StatusCode::OK,
                "application/json; charset=utf-8",
                br#"{"ok":false,"error":"request_timeout"}"#.to_vec(),
            );
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
        Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => return too_large(),
        Ok(Err(_)) => {
            let mut response = full(
                StatusCode::BAD_REQUEST,
                "text/plain; charset=utf-8",
                b"bad request body\n".to_vec(),
            );
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };

    let request = Request::from_parts(parts, bytes.to_vec());
    // The state lock is taken and released inside this call; nothing below holds it.
    let (response, fault) = sim.handle_now_with_fault(&request);
    let (mut parts, body) = response.into_parts();
    let body = match fault {
        None => SimBody::Full(Some(Bytes::from(body))),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            SimBody::Full(Some(Bytes::from(body)))
        }
        Some(Fault::TruncatedBody) => {
            let claimed = body.len() as u64 + 64;
            parts
                .headers
                .insert(CONTENT_LENGTH, HeaderValue::from(claimed));
            SimBody::Truncated {
                data: Some(Bytes::from(body)),
                flushed: false,
            }
        }
        Some(Fault::CloseMidBody) => {
            let half = body.len() / 2;
            SimBody::CloseMid {
                first: Some(Bytes::from(body).slice(..half)),
                flushed: false,
                failed: false,
            }
        }
        Some(Fault::Oversized { bytes }) => SimBody::padding(bytes, true),
        Some(Fault::OversizedChunked { bytes }) => SimBody::padding(bytes, false),
        Some(_) => SimBody::Full(Some(Bytes::from(body))),
    };
    Response::from_parts(parts, body)
}

/// Sends every queued event, each on its own task, as they are queued.
async fn send_events(sim: Sim, config: ServerConfig) {
    loop {
        sim.events_ready.notified().await;
        while let Some(event) = sim.next_event() {
            let sim = sim.clone();
            let config = config.clone();
            tokio::spawn(async move { deliver(&sim, &config, event).await });
        }
    }
}

/// One event: the first attempt, then Slack's retries, counted in the stats.
async fn deliver(sim: &Sim, config: &ServerConfig, event: Event) {
    let mut retry = None;
    for attempt in 0..=config.event_retry_delays.len() {
        if attempt > 0 {
            tokio::time::sleep(config.event_retry_delays[attempt - 1]).await;
            sim.count_event(|e| e.retries += 1);
        }
        let request = event.request(sim.now(), retry);
        let reason = match tokio::time::timeout(config.event_timeout, post(request)).await {
            Ok(Ok(answer)) if answer.status().is_success() => {
                if event.accepts(answer.body()) {
                    sim.count_event(|e| e.delivered += 1);
                } else {
                    sim.count_event(|e| e.verification_failed += 1);
                }
                return;
            }
            Ok(Ok(answer)) => {
                // The app may ask Slack not to retry (`X-Slack-No-Retry: 1`).
                if answer
                    .headers()
                    .get("x-slack-no-retry")
                    .is_some_and(|v| v == "1")
                {
                    sim.count_event(|e| {
                        e.failed_attempts += 1;
                        e.gave_up += 1;
                    });
                    return;
                }
                RetryReason::HttpError
            }
            Ok(Err(reason)) => reason,
            Err(_) => RetryReason::HttpTimeout,
        };
        sim.count_event(|e| e.failed_attempts += 1);
        retry = Some((u32::try_from(attempt + 1).unwrap_or(u32::MAX), reason));
    }
    sim.count_event(|e| e.gave_up += 1);
}

/// POSTs one event over a fresh loopback connection; the answer's body is read up to a limit.
async fn post(request: Request<Vec<u8>>) -> Result<Response<Bytes>, RetryReason> {
    let (mut parts, body) = request.into_parts();
    let host = parts
        .uri
        .host()
        .ok_or(RetryReason::UnknownError)?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = parts.uri.port_u16().unwrap_or(80);
    let authority = parts
        .uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_else(|| host.clone());
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|_| RetryReason::ConnectionFailed)?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|_| RetryReason::ConnectionFailed)?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    // An HTTP/1.1 request line carries the path; the authority goes in `Host`.
    parts.uri = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse()
        .map_err(|_| RetryReason::UnknownError)?;
    if let Ok(value) = HeaderValue::from_str(&authority) {
        parts.headers.insert(http::header::HOST, value);
    }
    let answer = sender
        .send_request(Request::from_parts(parts, Full::new(Bytes::from(body))))
        .await
        .map_err(|_| RetryReason::UnknownError)?;
    let (parts, body) = answer.into_parts();
    let bytes = Limited::new(body, EVENT_ANSWER_LIMIT)
        .collect()
        .await
        .map(|c| c.to_bytes())
        // A 2xx whose body is too long or broken still counts as received for a callback;
        // a url_verification then fails its challenge check.
        .unwrap_or_default();
    Ok(Response::from_parts(parts, bytes))
}

fn too_large() -> Response<SimBody> {
    let mut response = full(
        StatusCode::PAYLOAD_TOO_LARGE,
        "application/json; charset=utf-8",
        br#"{"ok":false,"error":"request_too_large"}"#.to_vec(),
    );
    // The body was not read: the connection cannot be reused.
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

fn full(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<SimBody> {
    let mut response = Response::new(SimBody::Full(Some(Bytes::from(body))));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

const PAD_CHUNK: usize = 64 * 1024;
static PAD: [u8; PAD_CHUNK] = [b'x'; PAD_CHUNK];
const OVERSIZED_PREFIX: &[u8] = br#"{"ok":false,"error":"sim_oversized_body","padding":""#;
const OVERSIZED_SUFFIX: &[u8] = br#""}"#;

/// A response body that can also misbehave on purpose.
pub(crate) enum SimBody {
    /// The whole body in one frame.
    Full(Option<Bytes>),
    /// The whole body, under a `Content-Length` that claims more (set by the caller).
    Truncated { data: Option<Bytes>, flushed: bool },
    /// Part of the body, then an error: hyper aborts the connection without the last chunk.
    CloseMid {
        first: Option<Bytes>,
        flushed: bool,
        failed: bool,
    },
    /// A large body generated on the fly from a static buffer.
    Padding {
        prefix: Option<Bytes>,
        pad_left: u64,
        suffix: Option<Bytes>,
        exact: bool,
    },
}

impl SimBody {
    fn padding(total: u64, exact: bool) -> SimBody {
        let frame = (OVERSIZED_PREFIX.len() + OVERSIZED_SUFFIX.len()) as u64;
        if total < frame {
            return SimBody::Padding {
                prefix: None,
                pad_left: total,
                suffix: None,
                exact,
            };
        }
        SimBody::Padding {
            prefix: Some(Bytes::from_static(OVERSIZED_PREFIX)),
            pad_left: total - frame,
            suffix: Some(Bytes::from_static(OVERSIZED_SUFFIX)),
            exact,
        }
    }
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        let next = match this {
            SimBody::Full(data) => data.take().map(|d| Ok(Frame::data(d))),
            // hyper drops its write buffer when a body ends early or fails: pausing once
            // after the data lets it flush what was sent before the connection dies.
            SimBody::Truncated { data, flushed } => match data.take() {
                Some(data) => Some(Ok(Frame::data(data))),
                None if !*flushed => {
                    *flushed = true;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                None => None,
            },
            SimBody::CloseMid {
                first,
                flushed,
                failed,
            } => match first.take() {
                Some(data) => Some(Ok(Frame::data(data))),
                None if !*flushed => {
                    *flushed = true;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                None if !*failed => {
                    *failed = true;
                    Some(Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "simulated connection close mid-body",
                    )))
                }
                None => None,
            },
            SimBody::Padding {
                prefix,
                pad_left,
                suffix,
                ..
            } => {
                if let Some(prefix) = prefix.take() {
                    Some(Ok(Frame::data(prefix)))
                } else if *pad_left > 0 {
                    let n = (*pad_left).min(PAD_CHUNK as u64) as usize;
                    *pad_left -= n as u64;
                    Some(Ok(Frame::data(Bytes::from_static(&PAD[..n]))))
                } else {
                    suffix.take().map(|s| Ok(Frame::data(s)))
                }
            }
        };
        Poll::Ready(next)
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, SimBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            SimBody::Full(data) => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            SimBody::Padding {
                prefix,
                pad_left,
                suffix,
                exact: true,
            } => SizeHint::with_exact(
                prefix.as_ref().map_or(0, |p| p.len() as u64)
                    + pad_left
                    + suffix.as_ref().map_or(0, |s| s.len() as u64),
            ),
            _ => SizeHint::default(),
        }
    }
}
