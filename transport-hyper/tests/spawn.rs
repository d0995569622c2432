//! The client's futures are `Send`: calls run inside `tokio::spawn`.

use std::net::TcpListener;

use slack_oauth_core::apps_auth_external::{Delete, Get};
use slack_oauth_core::oauth_v2::{Access, Exchange, UserAccess};
use slack_oauth_core::tooling_tokens::Rotate;
use slack_oauth_core::{Api, ClientCredentials};
use slack_oauth_hyper::{Client, Error};

fn assert_send<T: Send + 'static>(_: &T) {}

#[tokio::test]
async fn calls_run_in_spawned_tasks() {
    // A port that was just free and is closed now: every call fails to connect, for real.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = Api::new()
        .with_base_url(&format!("http://127.0.0.1:{port}/api"))
        .unwrap()
        .with_credentials(ClientCredentials::new("1.2", "secret"));
    let client = Client::new(api);

    let c = client.clone();
    let access = async move { c.call(&Access::code("c")).await.map(|_| ()) };
    let c = client.clone();
    let user = async move { c.call(&UserAccess::refresh("r")).await.map(|_| ()) };
    let c = client.clone();
    let exchange = async move { c.call(&Exchange::new("xoxb-1")).await.map(|_| ()) };
    let c = client.clone();
    let rotate = async move { c.call(&Rotate::new("xoxe-1")).await.map(|_| ()) };
    let c = client.clone();
    let get = async move { c.call(&Get::new("xwfp-1", "Et1")).await.map(|_| ()) };
    let c = client.clone();
    let delete = async move {
        c.call(&Delete::new("xwfp-1").app_id("A1"))
            .await
            .map(|_| ())
    };
    let c = client.clone();
    let send = async move {
        let request = http::Request::post(c.api().url("x"))
            .body(Vec::new())
            .unwrap();
        c.send(request).await.map(|_| ())
    };
    assert_send(&access);
    assert_send(&send);

    let handles = vec![
        tokio::spawn(access),
        tokio::spawn(user),
        tokio::spawn(exchange),
        tokio::spawn(rotate),
        tokio::spawn(get),
        tokio::spawn(delete),
        tokio::spawn(send),
    ];
    for handle in handles {
        let result = handle.await.unwrap();
        assert!(matches!(result, Err(Error::Connect(_))), "{result:?}");
    }
}
