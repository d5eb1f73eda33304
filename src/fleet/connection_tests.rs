//! [`first_probe`] against local sockets: a port that never completes a TLS handshake is unreachable
//! within the connect timeout; a server that is there but slow is waited for.
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// A loopback port that accepts connections and then never writes; `answer_after`, when given, answers the
/// first request on each connection with a `/version` body after that long (plain HTTP/1.1).
async fn server(answer_after: Option<Duration>) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            match answer_after {
                None => held.push(stream),
                Some(after) => {
                    _ = tokio::spawn(async move {
                        let mut buf = [0u8; 4096];
                        let _ = stream.read(&mut buf).await;
                        tokio::time::sleep(after).await;
                        let body = serde_json::json!({"major": "1", "minor": "35", "gitVersion": "v1.35.0",
                        "gitCommit": "c", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                        "goVersion": "go1.26", "compiler": "gc", "platform": "linux/amd64"})
                        .to_string();
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(format!("{head}{body}").as_bytes()).await;
                        let _ = stream.read(&mut buf).await;
                    })
                }
            }
        }
    });
    (port, task)
}

fn client(url: &str) -> (kube::Client, crate::fleet::reached::Reached) {
    let mut config = kube::Config::new(url.parse().expect("url"));
    config.accept_invalid_certs = true;
    transport::client_reached(config).expect("client")
}

#[tokio::test]
async fn no_tls_handshake_within_the_timeout_is_unreachable() {
    let (port, task) = server(None).await;
    let (c, reached) = client(&format!("https://127.0.0.1:{port}"));
    let t = Instant::now();
    let Err(ConnectError::Unreachable(why)) = first_probe(&c, &reached, Duration::from_millis(300)).await else {
        panic!("a port that never answers the TLS handshake is unreachable");
    };
    assert!(why.starts_with("no answer within 0.3 s"), "{why}");
    assert!(t.elapsed() < Duration::from_millis(1200), "within the connect timeout, not 5 times it: {:?}", t.elapsed());
    assert!(!reached.done());
    task.abort();
}

#[tokio::test]
async fn a_connected_server_slow_to_answer_is_waited_for_then_given_up_on() {
    let (port, task) = server(Some(Duration::from_millis(800))).await;
    let (c, reached) = client(&format!("http://127.0.0.1:{port}"));
    let version = first_probe(&c, &reached, Duration::from_millis(300)).await;
    assert!(matches!(&version, Ok(v) if v == "v1.35.0"), "answered after 0.8 s, past the 0.3 s timeout");
    assert!(reached.done());
    // The plain probe, with the same timeout, would have given up on it.
    let (c, _) = client(&format!("http://127.0.0.1:{port}"));
    assert!(matches!(probe(&c, Duration::from_millis(300)).await, Err(ConnectError::Unreachable(_))));
    task.abort();

    let (port, task) = server(None).await;
    let (c, reached) = client(&format!("http://127.0.0.1:{port}"));
    let Err(ConnectError::Unreachable(why)) = first_probe(&c, &reached, Duration::from_millis(200)).await else {
        panic!("a connected server that never answers is unreachable in the end");
    };
    assert!(why.starts_with("no answer within 1 s") && why.contains("/version was not answered"), "{why}");
    task.abort();
}
