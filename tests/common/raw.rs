//! A tiny HTTP/1.1 server with canned answers, for what the simulator does not do on purpose:
//! exact body sizes, arbitrary statuses, a redirect target, TLS, counting connections.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The request line, e.g. `POST /api/x HTTP/1.1`.
    pub line: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Respond = dyn Fn(&Recorded) -> Vec<u8> + Send + Sync;

/// A server on 127.0.0.1:0 answering each request with `respond(request)` (raw bytes),
/// keeping the connection open unless the answer says `connection: close`. Stops on drop.
pub struct RawServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    scheme: &'static str,
}

impl RawServer {
    pub fn start(respond: impl Fn(&Recorded) -> Vec<u8> + Send + Sync + 'static) -> RawServer {
        Self::start_with(None, Arc::new(respond))
    }

    /// The same behind TLS with `config`.
    pub fn start_tls(
        config: Arc<rustls::ServerConfig>,
        respond: impl Fn(&Recorded) -> Vec<u8> + Send + Sync + 'static,
    ) -> RawServer {
        Self::start_with(Some(config), Arc::new(respond))
    }

    fn start_with(tls: Option<Arc<rustls::ServerConfig>>, respond: Arc<Respond>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let scheme = if tls.is_some() { "https" } else { "http" };
        {
            let (stop, connections, requests) =
                (stop.clone(), connections.clone(), requests.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (respond, requests, tls) = (respond.clone(), requests.clone(), tls.clone());
                    thread::spawn(move || {
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                        match tls {
                            None => serve(stream, &*respond, &requests),
                            Some(config) => {
                                let Ok(conn) = rustls::ServerConnection::new(config) else {
                                    return;
                                };
                                serve(rustls::StreamOwned::new(conn, stream), &*respond, &requests)
                            }
                        }
                    });
                }
            });
        }
        RawServer {
            addr,
            stop,
            connections,
            requests,
            scheme,
        }
    }

    /// `http://127.0.0.1:PORT` (or `https://`).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn serve<S: Read + Write>(stream: S, respond: &Respond, requests: &Mutex<Vec<Recorded>>) {
    let mut reader = BufReader::new(stream);
    loop {
        let Ok(Some(request)) = read_request(&mut reader) else {
            return;
        };
        requests.lock().unwrap().push(request.clone());
        let answer = respond(&request);
        let stream = reader.get_mut();
        if stream
            .write_all(&answer)
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
        let head_end = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(answer.len());
        let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
        if head.contains("connection: close") {
            return;
        }
    }
}

fn read_request<R: BufRead>(reader: &mut R) -> io::Result<Option<Recorded>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok(Some(Recorded {
        line: line.trim_end().to_owned(),
        headers,
        body,
    }))
}

/// A complete answer with `Content-Length`.
pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A complete chunked answer whose body is one chunk (no `Content-Length`).
pub fn chunked(status: u16, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n0\r\n\r\n");
    out
}

/// A self-signed certificate for 127.0.0.1 and localhost: (server config, certificate DER).
pub fn self_signed() -> (Arc<rustls::ServerConfig>, Vec<u8>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert_der = certified.cert.der().to_vec();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone().into()], key)
        .unwrap();
    (Arc::new(config), cert_der)
}
