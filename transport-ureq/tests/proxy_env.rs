//! Proxy variables in the environment are ignored unless `Config::proxy_from_env` is set.
//!
//! Its own test binary: it changes the process environment, which no other test may see.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use slack_oauth_core::Api;
use slack_oauth_ureq::{Client, Config};

/// Answers every request on every connection with `response`, counting connections.
fn serve(response: &'static [u8]) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || answer(stream, response));
        }
    });
    (format!("http://{addr}"), count)
}

fn answer(mut stream: TcpStream, response: &[u8]) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    // Read the head; the requests here carry no body.
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
        if line == "\r\n" {
            let _ = stream.write_all(response);
            return;
        }
        line.clear();
    }
}

#[test]
fn proxy_variables_are_ignored_unless_asked_for() {
    let (origin, origin_hits) =
        serve(b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{\"ok\":true}");
    let (proxy, proxy_hits) =
        serve(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    for name in [
        "NO_PROXY",
        "no_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("ALL_PROXY", &proxy);

    let request = || {
        http::Request::get(format!("{origin}/api/x"))
            .body(Vec::new())
            .unwrap()
    };

    let direct = Client::new(Api::new());
    let response = direct.send(request()).unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), b"{\"ok\":true}");
    assert_eq!(origin_hits.load(Ordering::SeqCst), 1);
    assert_eq!(
        proxy_hits.load(Ordering::SeqCst),
        0,
        "the default must not use ALL_PROXY"
    );

    let proxied = Client::with_config(Api::new(), Config::default().proxy_from_env(true)).unwrap();
    // The stand-in proxy refuses; what matters is where the connection went.
    let _ = proxied.send(request());
    assert!(
        proxy_hits.load(Ordering::SeqCst) >= 1,
        "proxy_from_env(true) must use ALL_PROXY"
    );
    assert_eq!(origin_hits.load(Ordering::SeqCst), 1);
    std::env::remove_var("ALL_PROXY");
}
