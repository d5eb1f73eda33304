//! The demo's loopback git and chart server (`demo::git_server`, issue 14) with the real git client: clone
//! and push over smart HTTP through `git http-backend`, a non-fast-forward push refused with git's own
//! words, the chart repository's files, and a taken port named.
use std::path::Path;
use std::process::Command;

use fleetdeck::demo::charts;
use fleetdeck::demo::git_server::{GitServer, Served};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("git runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn commit(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).expect("write");
    git(dir, &["add", file]).expect("add");
    git(dir, &["commit", "-q", "-m", &format!("write {file}")]).expect("commit");
}

/// A raw HTTP/1.1 GET; returns (status line, body).
async fn get(addr: std::net::SocketAddr, path: &str) -> (String, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connects");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("writes");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("reads");
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").expect("a header");
    let status = String::from_utf8_lossy(&out[..end]).lines().next().unwrap_or_default().to_owned();
    (status, out[end + 4..].to_vec())
}

#[tokio::test]
async fn clone_push_and_charts_over_loopback_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("git");
    std::fs::create_dir_all(root.join("fleet.git")).expect("mkdir");
    git(&root.join("fleet.git"), &["init", "-q", "--bare", "-b", "main"]).expect("bare repo");
    let chart_dir = dir.path().join("charts");
    charts::write_repository(&chart_dir, charts::CHARTS).expect("charts");
    let served = Served { git_root: root.clone(), charts: Some(chart_dir) };
    let server = GitServer::start("127.0.0.1:0".parse().expect("addr"), served).await.expect("starts");
    let url = server.url("fleet.git");

    // Clone the empty repository, commit, push main: the bare repository has it.
    let a = dir.path().join("a");
    let work = dir.path().to_path_buf();
    let (url2, a2) = (url.clone(), a.clone());
    tokio::task::spawn_blocking(move || {
        git(&work, &["clone", "-q", &url2, &a2.display().to_string()]).expect("clone over http");
        commit(&a2, "README.md", "fleet\n");
        git(&a2, &["push", "-q", "origin", "main"]).expect("push over http");
    })
    .await
    .expect("git steps");
    let head = git(&a, &["rev-parse", "HEAD"]).expect("rev-parse");
    assert_eq!(git(&root.join("fleet.git"), &["rev-parse", "main"]).expect("bare main"), head);

    // A second clone sees it; a divergent push to main is refused with git's own reason.
    let b = dir.path().join("b");
    let (work, url2, a2, b2) = (dir.path().to_path_buf(), url.clone(), a.clone(), b.clone());
    let refused = tokio::task::spawn_blocking(move || {
        git(&work, &["clone", "-q", &url2, &b2.display().to_string()]).expect("second clone");
        assert_eq!(git(&b2, &["rev-parse", "HEAD"]).expect("rev-parse"), git(&a2, &["rev-parse", "HEAD"]).expect("a"));
        commit(&a2, "a.txt", "a\n");
        git(&a2, &["push", "-q", "origin", "main"]).expect("push a");
        commit(&b2, "b.txt", "b\n");
        git(&b2, &["push", "-q", "origin", "main"]).expect_err("a non-fast-forward push")
    })
    .await
    .expect("git steps");
    assert!(refused.contains("rejected") && refused.contains("fetch first"), "git's reason: {refused}");
    assert_eq!(
        git(&root.join("fleet.git"), &["rev-parse", "main"]).expect("bare main"),
        git(&a, &["rev-parse", "HEAD"]).expect("a"),
        "the refused push changed nothing"
    );

    // The chart repository: index and packages as written; nothing outside the folder.
    let (status, body) = get(server.addr, "/charts/index.yaml").await;
    assert!(status.ends_with("200 OK"), "{status}");
    assert!(String::from_utf8_lossy(&body).contains("podinfo-6.8.0.tgz"));
    let (status, body) = get(server.addr, "/charts/podinfo-6.8.0.tgz").await;
    assert!(status.ends_with("200 OK"), "{status}");
    assert_eq!(body, charts::CHARTS[1].package().expect("package"));
    let (status, _) = get(server.addr, "/charts/../git/fleet.git/HEAD").await;
    assert!(status.contains(" 400 "), "{status}");
    let (status, _) = get(server.addr, "/nothing.git/info/refs?service=git-upload-pack").await;
    assert!(status.contains(" 404 "), "an unknown repository: {status}");
}

#[tokio::test]
async fn a_taken_port_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = taken.local_addr().expect("addr");
    let served = Served { git_root: std::env::temp_dir(), charts: None };
    let err = GitServer::start(addr, served).await.expect_err("the port is taken");
    let text = format!("{err:#}");
    assert!(text.contains(&addr.to_string()) && text.contains("taken"), "{text}");
}
