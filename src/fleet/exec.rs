//! Exec credential plugins (`users[].user.exec` in a kubeconfig), run by fleetdeck itself rather than by
//! kube's client: non-interactive, with a timeout, at most [`MAX_CONCURRENT`] at once, stderr captured
//! (a plugin must never write on the terminal the cockpit draws), and the credential's expiry kept so the
//! connection can be rebuilt before it lapses.
//!
//! Protocol: client.authentication.k8s.io `ExecCredential` (v1 / v1beta1): the plugin gets
//! `KUBERNETES_EXEC_INFO` and prints an ExecCredential whose `status` holds `token` or
//! `clientCertificateData` + `clientKeyData`, and optionally `expirationTimestamp`.
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use k8s_openapi::jiff::Timestamp;
use kube::config::{AuthInfo, ExecConfig};
use serde::Deserialize;
use tokio::sync::Semaphore;

/// How many plugins may run at once (a fleet of EKS contexts would otherwise fork dozens of `aws`).
pub const MAX_CONCURRENT: usize = 4;
/// Default time a plugin may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

fn permits() -> &'static Semaphore {
    static SEM: OnceLock<Semaphore> = OnceLock::new();
    SEM.get_or_init(|| Semaphore::new(MAX_CONCURRENT))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredentialOut {
    status: Option<ExecStatus>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecStatus {
    token: Option<String>,
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
    expiration_timestamp: Option<String>,
}

/// The `spec.cluster` of `KUBERNETES_EXEC_INFO` for `c` (client-go `pkg/apis/clientauthentication/v1`
/// `Cluster`: `server`, `tls-server-name`, `insecure-skip-tls-verify`, `certificate-authority-data` (base64,
/// as in the kubeconfig), `proxy-url`, and `config`, the cluster's `client.authentication.k8s.io/exec`
/// extension).
fn cluster_info(c: &kube::config::Cluster) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    let mut put = |k: &str, v: Option<serde_json::Value>| {
        if let Some(v) = v {
            out.insert(k.to_string(), v);
        }
    };
    put("server", c.server.clone().map(Into::into));
    put("tls-server-name", c.tls_server_name.clone().map(Into::into));
    put("insecure-skip-tls-verify", c.insecure_skip_tls_verify.map(Into::into));
    put("certificate-authority-data", c.certificate_authority_data.clone().map(Into::into));
    put("proxy-url", c.proxy_url.clone().map(Into::into));
    let config = c
        .extensions
        .iter()
        .flatten()
        .find(|e| e.name == "client.authentication.k8s.io/exec")
        .map(|e| e.extension.clone());
    put("config", config);
    serde_json::Value::Object(out)
}

/// Runs `exec` and returns `auth` with the credential in place of the plugin, and when it expires.
///
/// Errors say which plugin failed and how: not found, timed out, exit status with its stderr (last
/// lines), or output that is not an ExecCredential.
/// With `provideClusterInfo: true`, `cluster` (the context's cluster entry) is passed to the plugin in
/// `KUBERNETES_EXEC_INFO` as `spec.cluster`, its extension `client.authentication.k8s.io/exec` as
/// `spec.cluster.config` (client-go's `ExecCredentialSpec.Cluster`; KEP-5339's plugins read it).
pub async fn resolve(
    auth: &AuthInfo,
    exec: &ExecConfig,
    cluster: Option<&kube::config::Cluster>,
    timeout: Duration,
) -> Result<(AuthInfo, Option<Timestamp>)> {
    let command = exec.command.clone().context("the exec plugin has no command")?;
    let _permit = permits().acquire().await.context("exec plugin limiter closed")?;
    let mut cmd = tokio::process::Command::new(&command);
    cmd.args(exec.args.iter().flatten())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for env in exec.env.iter().flatten() {
        if let (Some(n), Some(v)) = (env.get("name"), env.get("value")) {
            cmd.env(n, v);
        }
    }
    let api_version = exec.api_version.clone().unwrap_or_else(|| "client.authentication.k8s.io/v1".into());
    let mut spec = serde_json::json!({"interactive": false});
    if exec.provide_cluster_info
        && let Some(c) = cluster
    {
        spec["cluster"] = cluster_info(c);
    }
    cmd.env(
        "KUBERNETES_EXEC_INFO",
        serde_json::json!({"apiVersion": api_version, "kind": "ExecCredential", "spec": spec}).to_string(),
    );
    let child = cmd.spawn().with_context(|| format!("exec plugin {command:?} could not be started"))?;
    let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(r) => r.with_context(|| format!("exec plugin {command:?}"))?,
        Err(_) => bail!("exec plugin {command:?} did not finish within {}s (killed)", timeout.as_secs()),
    };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("exec plugin {command:?} failed ({}): {}", out.status, tail.join(" / "));
    }
    let cred: ExecCredentialOut = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("exec plugin {command:?} printed no ExecCredential"))?;
    let status = cred.status.with_context(|| format!("exec plugin {command:?} returned no status"))?;
    let mut resolved = auth.clone();
    resolved.exec = None;
    match (status.token, status.client_certificate_data, status.client_key_data) {
        (Some(t), _, _) => resolved.token = Some(t.into()),
        (None, Some(cert), Some(key)) => {
            resolved.client_certificate_data = Some(base64_of(&cert));
            resolved.client_key_data = Some(base64_of(&key).into());
        }
        _ => bail!("exec plugin {command:?} returned neither a token nor a client certificate"),
    }
    let expiry = status.expiration_timestamp.and_then(|t| t.parse::<Timestamp>().ok());
    Ok((resolved, expiry))
}

/// Kubeconfig `*-data` fields are base64; ExecCredential returns PEM text.
fn base64_of(pem: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(script: &str) -> ExecConfig {
        serde_json::from_value(serde_json::json!({"command": "sh", "args": ["-c", script],
            "apiVersion": "client.authentication.k8s.io/v1"}))
        .expect("exec config")
    }

    #[tokio::test]
    async fn token_expiry_timeout_and_failures() {
        let auth = AuthInfo::default();
        let ok = exec(
            r#"echo '{"kind":"ExecCredential","status":{"token":"tok","expirationTimestamp":"2030-01-01T00:00:00Z"}}'"#,
        );
        let (resolved, expiry) = resolve(&auth, &ok, None, DEFAULT_TIMEOUT).await.expect("token");
        assert!(resolved.token.is_some() && resolved.exec.is_none());
        assert_eq!(expiry.map(|t| t.to_string()).as_deref(), Some("2030-01-01T00:00:00Z"));

        let t = std::time::Instant::now();
        let err = resolve(&auth, &exec("sleep 30"), None, Duration::from_millis(300)).await.expect_err("hangs");
        assert!(err.to_string().contains("did not finish"), "{err}");
        assert!(t.elapsed() < Duration::from_secs(2));

        let err = resolve(&auth, &exec("echo 'aws: no credentials' >&2; exit 3"), None, DEFAULT_TIMEOUT)
            .await
            .expect_err("fails");
        assert!(format!("{err:#}").contains("aws: no credentials"), "{err:#}");
        let err = resolve(&auth, &exec("echo not json"), None, DEFAULT_TIMEOUT).await.expect_err("garbage");
        assert!(format!("{err:#}").contains("no ExecCredential"), "{err:#}");
    }
}
