//! `fleetdeck demo --contexts N`: the benchmark fleet. N more contexts, `edge-0001` ... `edge-NNNN`, over two
//! more API servers (`edge-1`, `edge-2`, each seeded with one edge cluster's small load: [`seed::edge`]), each
//! with a user of its own (a distinct bearer token, so no two contexts share a connection), as a fleet of N
//! clusters reaches fleetdeck. Every 10th context is dead: half of those point at a closed port (refused at
//! once), half at a port that accepts TCP and never answers (hung), held by [`Hung`] for as long as the demo
//! runs.
//!
//! [`seed::edge`]: super::seed::edge

use anyhow::{Context, Result};

use crate::envtest::Envtest;
use crate::envtest::kubeconfig::TokenContext;

/// The benchmark fleet's API servers.
pub const SERVERS: [&str; 2] = ["edge-1", "edge-2"];

/// The name of edge context `i` (1-based): `edge-0001`.
pub fn name(i: usize) -> String {
    format!("edge-{i:04}")
}

/// How edge context `i` (1-based) reaches its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Through server `SERVERS[n]` with its own user.
    Server(usize),
    /// A closed loopback port: refused at once.
    Refused,
    /// A port that accepts and never answers.
    Hung,
}

/// Every 10th context is dead (alternately refused and hung); the others alternate between the servers.
pub fn reach(i: usize) -> Reach {
    match (i % 10, i % 20) {
        (0, 0) => Reach::Hung,
        (0, _) => Reach::Refused,
        _ => Reach::Server(i % SERVERS.len()),
    }
}

/// The users the API servers know for `n` contexts: one per context, named like it (the dead contexts
/// have theirs too, so no two contexts share a connection, dead or alive).
pub fn users(n: usize) -> Vec<String> {
    (1..=n).map(name).collect()
}

/// The kubeconfig contexts of `n` edge contexts; `hung_port` is [`Hung::port`].
pub fn contexts(env: &Envtest, n: usize, hung_port: u16) -> Result<Vec<TokenContext>> {
    (1..=n)
        .map(|i| {
            let name = name(i);
            let token = env.user_token(&name).context("no token for an edge context")?.to_owned();
            let server = match reach(i) {
                Reach::Server(s) => SERVERS[s],
                Reach::Refused | Reach::Hung => SERVERS[0],
            };
            let mut ctx = env.token_context(&name, server, &token)?;
            match reach(i) {
                Reach::Refused => ctx.server = "https://127.0.0.1:1".into(),
                Reach::Hung => ctx.server = format!("https://127.0.0.1:{hung_port}"),
                Reach::Server(_) => {}
            }
            Ok(ctx)
        })
        .collect()
}

/// A loopback port that accepts connections and never answers (a hung API server); stops on drop.
pub struct Hung {
    /// The port.
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Hung {
    /// Binds a free loopback port and starts accepting on the current tokio runtime.
    ///
    /// Errors when no port can be bound.
    pub async fn start() -> Result<Hung> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        Ok(Hung { port, task })
    }
}

impl Drop for Hung {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_in_ten_is_dead_half_of_them_hung() {
        let dead: Vec<Reach> = (1..=100).map(reach).filter(|r| !matches!(r, Reach::Server(_))).collect();
        assert_eq!(dead.len(), 10);
        assert_eq!(dead.iter().filter(|r| **r == Reach::Hung).count(), 5);
        assert_eq!(users(100).len(), 100);
        assert_eq!(users(100)[0], "edge-0001");
        assert_eq!(reach(1), Reach::Server(1));
        assert_eq!(reach(2), Reach::Server(0));
    }
}
