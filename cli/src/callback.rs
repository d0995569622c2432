//! The loopback listener `install` waits on for Slack's redirect.
//!
//! Served with hyper on its own thread and current-thread runtime, one task per connection,
//! so a slow or silent client never delays another. Every request head must arrive within
//! [`HEAD_TIMEOUT`] and before the end of the wait; the wait itself has one deadline, after
//! which the port is closed. When the command is done, connections still open get
//! [`SHUTDOWN_GRACE`] to receive their answer.
//! Anything but `GET /callback` is answered here (404, 405) and never reaches the command;
//! each `GET /callback` is handed to the command, which answers it and decides whether the
//! wait goes on.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::sync::{oneshot, Semaphore};

/// The path Slack redirects to.
pub const CALLBACK_PATH: &str = "/callback";

/// How long a client may take to send its request head (less when the wait ends sooner).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connections still open at the end get to receive their answer.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// A request head larger than this is not a browser following a redirect (hyper's floor).
const MAX_HEAD: usize = 16 * 1024;
/// Connections served at once; more are closed at once (a browser opens a handful).
const MAX_CONNECTIONS: usize = 64;

/// A bound but not yet serving listener on 127.0.0.1, so the redirect URI is known early.
pub struct Listener {
    listener: TcpListener,
    addr: SocketAddr,
}

/// The listener serving until its deadline or until dropped.
pub struct Serving {
    callbacks: mpsc::Receiver<Callback>,
    deadline: Instant,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// A `GET /callback` waiting for its answer; dropping it answers 500.
pub struct Callback {
    /// The query string (without `?`), empty when there is none.
    pub query: String,
    reply: oneshot::Sender<Page>,
}

/// An answer for the browser.
struct Page {
    status: StatusCode,
    body: String,
}

impl Listener {
    /// Listens on 127.0.0.1:`port` (0 = any free port).
    pub fn bind(port: u16) -> std::io::Result<Listener> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        Ok(Listener { listener, addr })
    }

    /// The redirect URI this listener answers: `http://127.0.0.1:PORT/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("http://{}{CALLBACK_PATH}", self.addr)
    }

    /// Starts serving until `deadline` (or until the returned value is dropped).
    pub fn serve(self, deadline: Instant) -> std::io::Result<Serving> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let (callbacks_tx, callbacks) = mpsc::channel();
        let (shutdown, stop) = oneshot::channel();
        let listener = self.listener;
        let thread = std::thread::Builder::new()
            .name("slack-oauth-callback".into())
            .spawn(move || {
                let deadline = tokio::time::Instant::from_std(deadline);
                runtime.block_on(accept_loop(listener, callbacks_tx, deadline, stop));
                // Connections still running past the grace period are dropped here.
                runtime.shutdown_timeout(SHUTDOWN_GRACE);
            })?;
        Ok(Serving {
            callbacks,
            deadline,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }
}

impl Serving {
    /// The next `GET /callback`, or `None` once the deadline passes.
    pub fn next(&self) -> std::io::Result<Option<Callback>> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        match self.callbacks.recv_timeout(left) {
            Ok(callback) => Ok(Some(callback)),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            // The serving thread ended before its deadline: it could not serve the socket.
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(std::io::Error::other(
                "the listener stopped before the wait was over",
            )),
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            // Bounded by SHUTDOWN_GRACE twice: the graceful wait, then the runtime's.
            let _ = thread.join();
        }
    }
}

impl Callback {
    /// Answers the browser with a small HTML page: 200 when `ok`, else 400.
    pub fn respond(self, ok: bool, title: &str, message: &str) {
        let status = if ok {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        // The browser going away is no reason to fail the install.
        let _ = self.reply.send(Page {
            status,
            body: page(title, message),
        });
    }
}

async fn accept_loop(
    listener: TcpListener,
    callbacks: mpsc::Sender<Callback>,
    deadline: tokio::time::Instant,
    mut stop: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let timed_out = loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    drop(stream);
                    continue;
                };
                let head_timeout = HEAD_TIMEOUT
                    .min(deadline.saturating_duration_since(tokio::time::Instant::now()));
                let mut builder = http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(head_timeout)
                    .max_buf_size(MAX_HEAD)
                    .keep_alive(false);
                let callbacks = callbacks.clone();
                let service = service_fn(move |req| {
                    let callbacks = callbacks.clone();
                    async move { Ok::<_, Infallible>(answer(req, &callbacks).await) }
                });
                let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    // Client errors (garbage, resets, timeouts) end only this connection.
                    let _ = connection.await;
                    drop(slot);
                });
            }
            () = tokio::time::sleep_until(deadline) => break true,
            _ = &mut stop => break false,
        }
    };
    drop(listener);
    if timed_out {
        // No new connections; the callback being answered (its code may be in exchange
        // right now) keeps its connection until the command is done with it.
        let _ = stop.await;
    }
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

/// Answers what is not the callback; hands the callback to the command and waits for its page.
async fn answer(
    req: Request<Incoming>,
    callbacks: &mpsc::Sender<Callback>,
) -> Response<Full<Bytes>> {
    if req.uri().path() != CALLBACK_PATH {
        return respond(StatusCode::NOT_FOUND, page("Not found", ""));
    }
    if req.method() != Method::GET {
        return respond(
            StatusCode::METHOD_NOT_ALLOWED,
            page("Not allowed", "Only GET."),
        );
    }
    let (reply, page_rx) = oneshot::channel();
    let callback = Callback {
        query: req.uri().query().unwrap_or("").to_owned(),
        reply,
    };
    if callbacks.send(callback).is_err() {
        return respond(
            StatusCode::SERVICE_UNAVAILABLE,
            page(
                "Not waiting",
                "slack-oauth install is no longer waiting for a redirect.",
            ),
        );
    }
    match page_rx.await {
        Ok(Page { status, body }) => respond(status, body),
        Err(_) => respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            page(
                "Not installed",
                "slack-oauth install ended without an answer.",
            ),
        ),
    }
}

fn respond(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The callback URL holds the code: the page's links must not send it on.
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn page(title: &str, message: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{t}</h1><p>{m}</p></body></html>\n",
        t = escape(title),
        m = escape(message)
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    fn get(addr: SocketAddr, request: &[u8]) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream.write_all(request).unwrap();
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn hands_over_callbacks_and_answers_the_rest() {
        let listener = Listener::bind(0).unwrap();
        let addr = listener.addr;
        assert_eq!(
            listener.redirect_uri(),
            format!("http://127.0.0.1:{}/callback", addr.port())
        );
        let serving = listener
            .serve(Instant::now() + Duration::from_secs(30))
            .unwrap();
        let browser = std::thread::spawn(move || {
            let not_found = get(addr, b"GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n");
            let bad = get(addr, b"NOT HTTP AT ALL\r\n\r\n");
            let post = get(
                addr,
                b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            );
            let refused = get(
                addr,
                b"GET /callback?code=9&state=x HTTP/1.1\r\nHost: x\r\n\r\n",
            );
            let page = get(
                addr,
                b"GET /callback?code=1.2.ab&state=s%20t HTTP/1.1\r\nHost: x\r\n\r\n",
            );
            (not_found, bad, post, refused, page)
        });
        let first = serving.next().unwrap().expect("a callback");
        assert_eq!(first.query, "code=9&state=x");
        first.respond(false, "Ignored", "");
        let second = serving.next().unwrap().expect("a second callback");
        assert_eq!(second.query, "code=1.2.ab&state=s%20t");
        second.respond(true, "Installed <app>", "You can close this tab.");
        let (not_found, bad, post, refused, page) = browser.join().unwrap();
        assert!(not_found.starts_with("HTTP/1.1 404"), "{not_found}");
        assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
        assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
        assert!(page.contains("Installed &lt;app&gt;"), "{page}");
        assert!(page
            .to_ascii_lowercase()
            .contains("referrer-policy: no-referrer"));
    }

    #[test]
    fn gives_up_at_the_deadline() {
        let listener = Listener::bind(0).unwrap();
        let addr = listener.addr;
        let serving = listener
            .serve(Instant::now() + Duration::from_millis(50))
            .unwrap();
        assert!(serving.next().unwrap().is_none());
        drop(serving);
        // Closed once the wait is over.
        assert!(TcpStream::connect(addr).is_err());
    }

    #[test]
    fn a_dropped_callback_is_answered() {
        let listener = Listener::bind(0).unwrap();
        let addr = listener.addr;
        let serving = listener
            .serve(Instant::now() + Duration::from_secs(30))
            .unwrap();
        let browser =
            std::thread::spawn(move || get(addr, b"GET /callback HTTP/1.1\r\nHost: x\r\n\r\n"));
        drop(serving.next().unwrap().expect("a callback"));
        let page = browser.join().unwrap();
        assert!(page.starts_with("HTTP/1.1 500"), "{page}");
    }
}
