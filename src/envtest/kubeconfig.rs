//! Writing kubeconfig files for the harness (and the demo fleet): clusters, token users and contexts.
//!
//! The files are self-contained (`certificate-authority-data`, inline tokens) so one can be stored in a
//! CAPI `<cluster>-kubeconfig` Secret and still reach its API server. Shape: kubeconfig `v1` as kubectl
//! writes it.
use std::fmt::Write as _;

use base64::Engine as _;

/// One context of a kubeconfig: a server reached with a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenContext {
    /// The context name (also used for its cluster and user entries).
    pub name: String,
    /// `https://127.0.0.1:<port>`.
    pub server: String,
    /// PEM of the CA that signed the server's certificate.
    pub ca_pem: String,
    /// The bearer token.
    pub token: String,
}

/// Renders a kubeconfig holding `contexts`, with `current` as `current-context`.
///
/// Each context gets a cluster and a user of its own name, so contexts never share entries by accident.
pub fn render(contexts: &[TokenContext], current: &str) -> String {
    render_with_extensions(contexts, current, &[])
}

/// [`render`], with `preferences.extensions` holding `(name, extension)` each (kubectl keeps entries it does
/// not know; JSON written as YAML flow).
pub fn render_with_extensions(
    contexts: &[TokenContext],
    current: &str,
    extensions: &[(&str, &serde_json::Value)],
) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let mut out = String::from("apiVersion: v1\nkind: Config\n");
    if extensions.is_empty() {
        out.push_str("preferences: {}\n");
    } else {
        out.push_str("preferences:\n  extensions:\n");
        for (name, extension) in extensions {
            let _ = write!(out, "  - name: {}\n    extension: {extension}\n", quote(name));
        }
    }
    out.push_str("clusters:\n");
    for c in contexts {
        let _ = write!(
            out,
            "- name: {n}\n  cluster:\n    server: {s}\n    certificate-authority-data: {ca}\n",
            n = quote(&c.name),
            s = quote(&c.server),
            ca = b64(&c.ca_pem)
        );
    }
    out.push_str("users:\n");
    for c in contexts {
        let _ = write!(out, "- name: {n}\n  user:\n    token: {t}\n", n = quote(&c.name), t = quote(&c.token));
    }
    out.push_str("contexts:\n");
    for c in contexts {
        let n = quote(&c.name);
        let _ = write!(out, "- name: {n}\n  context:\n    cluster: {n}\n    user: {n}\n");
    }
    let _ = writeln!(out, "current-context: {}", quote(current));
    out
}

/// YAML double-quoted scalar (names may hold `/`, `:` and the like).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_kubeconfig_kube_can_read() {
        let ctx = |n: &str| TokenContext {
            name: n.into(),
            server: "https://127.0.0.1:6443".into(),
            ca_pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into(),
            token: "abc".into(),
        };
        let text = render(&[ctx("mgmt"), ctx("mgmt/default/dev-eu")], "mgmt");
        let kc = kube::config::Kubeconfig::from_yaml(&text).expect("kube parses it");
        assert_eq!(kc.current_context.as_deref(), Some("mgmt"));
        let names: Vec<_> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["mgmt", "mgmt/default/dev-eu"]);
        let cluster = kc.clusters[1].cluster.as_ref().expect("cluster");
        assert_eq!(cluster.server.as_deref(), Some("https://127.0.0.1:6443"));
        assert!(cluster.certificate_authority_data.is_some());
    }

    #[test]
    fn preferences_extensions_reach_kube() {
        let ctx = TokenContext {
            name: "mgmt".into(),
            server: "https://127.0.0.1:6443".into(),
            ca_pem: "PEM".into(),
            token: "abc".into(),
        };
        let ext = serde_json::json!({"providers": [{"name": "p", "execConfig": {"command": "/bin/x: y"}}]});
        let text = render_with_extensions(&[ctx], "mgmt", &[("fleetdeck/x", &ext)]);
        let kc = kube::config::Kubeconfig::from_yaml(&text).expect("kube parses it");
        let got = kc.preferences.and_then(|p| p.extensions).expect("extensions");
        assert_eq!(got[0].name, "fleetdeck/x");
        assert_eq!(got[0].extension, ext);
    }
}
