//! The loopback listener `install` waits on for Slack's redirect.
//!
//! One request at a time, each bounded in size and time; the request head is parsed by
//! `httparse`. Anything but `GET /callback` gets a 404 and the wait goes on (browsers ask
//! for `/favicon.ico`).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// The path Slack redirects to.
pub const CALLBACK_PATH: &str = "/callback";

/// A request head larger than this is not a browser following a redirect.
const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the non-blocking listener is polled while waiting.
const POLL: Duration = Duration::from_millis(20);

/// A listener on 127.0.0.1.
pub struct Listener {
    listener: TcpListener,
    addr: SocketAddr,
}

/// The browser's request to the callback path, waiting for its answer.
pub struct Callback {
    stream: TcpStream,
    /// The query string (without `?`), empty when there is none.
    pub query: String,
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

    /// Waits until a `GET /callback` arrives, or `None` once `deadline` passes.
    pub fn wait(&self, deadline: Instant) -> std::io::Result<Option<Callback>> {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(callback) = serve(stream) {
                        return Ok(Some(callback));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(None);
                    }
                    std::thread::sleep(POLL.min(deadline - now));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // Per-connection failures (reset before accept, ...) must not end the wait.
                Err(e) if is_transient(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Callback {
    /// Answers the browser with a small HTML page and closes the connection.
    pub fn respond(self, ok: bool, title: &str, message: &str) {
        let status = if ok { "200 OK" } else { "400 Bad Request" };
        answer(self.stream, status, &page(title, message));
    }
}

/// Reads one request; answers anything that is not the callback and returns `None` for it.
fn serve(mut stream: TcpStream) -> Option<Callback> {
    // The accepted socket inherits non-blocking mode on some platforms.
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(READ_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(READ_TIMEOUT)).ok()?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let target = loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                if request.method != Some("GET") {
                    answer(
                        stream,
                        "405 Method Not Allowed",
                        &page("Not allowed", "Only GET."),
                    );
                    return None;
                }
                break request.path.unwrap_or("/").to_owned();
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                answer(
                    stream,
                    "431 Request Header Fields Too Large",
                    &page("Too large", ""),
                );
                return None;
            }
            Err(_) => {
                answer(stream, "400 Bad Request", &page("Bad request", ""));
                return None;
            }
        }
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    if path != CALLBACK_PATH {
        answer(stream, "404 Not Found", &page("Not found", ""));
        return None;
    }
    Some(Callback {
        query: query.to_owned(),
        stream,
    })
}

fn answer(mut stream: TcpStream, status: &str, body: &str) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // The browser going away is no reason to fail the install.
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .and_then(|()| stream.flush());
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

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | TimedOut | OutOfMemory
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(addr: SocketAddr, request: &[u8]) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(request).unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn waits_for_the_callback_and_answers_the_rest() {
        let listener = Listener::bind(0).unwrap();
        let addr = listener.addr;
        assert_eq!(
            listener.redirect_uri(),
            format!("http://127.0.0.1:{}/callback", addr.port())
        );
        let browser = std::thread::spawn(move || {
            let not_found = get(addr, b"GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n");
            let bad = get(addr, b"NOT HTTP AT ALL\r\n\r\n");
            let post = get(
                addr,
                b"POST /callback HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            );
            let page = get(
                addr,
                b"GET /callback?code=1.2.ab&state=s%20t HTTP/1.1\r\nHost: x\r\n\r\n",
            );
            (not_found, bad, post, page)
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let callback = listener.wait(deadline).unwrap().expect("a callback");
        assert_eq!(callback.query, "code=1.2.ab&state=s%20t");
        callback.respond(true, "Installed <app>", "You can close this tab.");
        let (not_found, bad, post, page) = browser.join().unwrap();
        assert!(not_found.starts_with("HTTP/1.1 404"), "{not_found}");
        assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
        assert!(page.contains("Installed &lt;app&gt;"), "{page}");
    }

    #[test]
    fn gives_up_at_the_deadline() {
        let listener = Listener::bind(0).unwrap();
        let waited = listener
            .wait(Instant::now() + Duration::from_millis(50))
            .unwrap();
        assert!(waited.is_none());
    }
}
