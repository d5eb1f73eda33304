//! Reading the objects of a Flux inventory that fleetdeck does not watch (issue 15, item 1) from a real
//! kube-apiserver: a healthy object, an unhealthy one (a Deployment no controller rolls out), one deleted out
//! of band (drift), a Secret read as metadata only, and a kind the server does not serve.
use fleetdeck::envtest::Envtest;
use fleetdeck::fleet::inventory::{EntryState, read};
use fleetdeck::model::flux_tree::ObjMetadata;
use fleetdeck::model::status::HealthState;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service};
use kube::api::{Api, PostParams};
use serde_json::json;

fn entry(namespace: &str, name: &str, group: &str, kind: &str, version: &str) -> (ObjMetadata, String) {
    let e = ObjMetadata { namespace: namespace.into(), name: name.into(), group: group.into(), kind: kind.into() };
    (e, version.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_entries_are_read_with_their_health_and_drift() -> anyhow::Result<()> {
    let env = Envtest::builder().server("a").start().await?;
    let client = env.client("a").await?;
    let pp = PostParams::default();
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "apps"}}))?;
    Api::<Namespace>::all(client.clone()).create(&pp, &ns).await?;
    let cms = Api::<ConfigMap>::namespaced(client.clone(), "apps");
    for name in ["settings", "deleted-by-hand"] {
        let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": name}, "data": {"a": "1"}}))?;
        cms.create(&pp, &cm).await?;
    }
    // Applied, then deleted out of band.
    cms.delete("deleted-by-hand", &Default::default()).await?;
    let secret: Secret = serde_json::from_value(json!({"metadata": {"name": "token"}, "stringData": {"t": "s3cr3t"}}))?;
    Api::<Secret>::namespaced(client.clone(), "apps").create(&pp, &secret).await?;
    let svc: Service = serde_json::from_value(json!({"metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80}], "selector": {"app": "web"}}}))?;
    Api::<Service>::namespaced(client.clone(), "apps").create(&pp, &svc).await?;
    // No controller-manager runs here: the Deployment is never rolled out.
    let deploy: Deployment = serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {"replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}))?;
    Api::<Deployment>::namespaced(client.clone(), "apps").create(&pp, &deploy).await?;

    let entries = [
        entry("", "apps", "", "Namespace", "v1"),
        entry("apps", "settings", "", "ConfigMap", "v1"),
        entry("apps", "token", "", "Secret", "v1"),
        entry("apps", "web", "", "Service", "v1"),
        entry("apps", "web", "apps", "Deployment", "v1"),
        entry("apps", "deleted-by-hand", "", "ConfigMap", "v1"),
        entry("apps", "w", "example.com", "Widget", "v1"),
        entry("", "orphan", "apps", "Deployment", "v1"),
    ];
    let got = read(&client, &entries).await;
    assert_eq!(got.len(), entries.len());
    let names: Vec<&str> = got.iter().map(|g| g.entry.name.as_str()).collect();
    assert_eq!(
        names,
        ["apps", "settings", "token", "web", "web", "deleted-by-hand", "w", "orphan"],
        "in the entries' order"
    );
    let found = |i: usize| match &got[i].state {
        EntryState::Found(h) => (h.state, h.reason.clone(), h.message.clone()),
        other => panic!("{:?}: {other:?}", got[i].entry),
    };
    assert_eq!(found(0).0, HealthState::Ready);
    assert_eq!(found(1), (HealthState::Ready, String::new(), "Resource is always ready".into()));
    assert_eq!(found(2), (HealthState::Ready, String::new(), "exists".into()));
    assert_eq!(found(3), (HealthState::Ready, String::new(), "Service is ready".into()));
    assert_eq!(found(4), (HealthState::Progressing, "LessReplicas".into(), "Replicas: 0/2".into()));
    assert_eq!(got[5].state, EntryState::NotFound, "deleted out of band: drift");
    assert!(
        matches!(&got[6].state, EntryState::Unreadable(why) if why.starts_with("not served")),
        "{:?}",
        got[6].state
    );
    assert_eq!(
        got[7].state,
        EntryState::Unreadable("Deployment is namespaced; the inventory id names no namespace".into()),
        "an id without the namespace its kind needs is not sent to the server"
    );
    assert!(!format!("{got:?}").contains("s3cr3t"), "a Secret's data is never read");
    Ok(())
}
