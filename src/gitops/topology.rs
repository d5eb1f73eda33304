//! ClusterClass-based clusters as templates: a ClusterClass in a management cluster offers a `Cluster` with
//! `spec.topology` (Cluster API v1beta2: `classRef{name, namespace}, version, controlPlane.replicas,
//! workers.machineDeployments[]{class, name, replicas}, variables[]{name, value}`), so the create wizard
//! treats it like any other template: parameters, validation, policy, preview.
//!
//! Parameters: `CLUSTER_NAME`, `NAMESPACE` (default: the class's namespace), `KUBERNETES_VERSION`,
//! `CONTROL_PLANE_MACHINE_COUNT` (1), `WORKER_MACHINE_COUNT` (1, for the first worker class), and one
//! parameter per *required* ClusterClass variable without a schema default (named as the variable), whose
//! value is typed like any whole placeholder.
use serde_json::{Value, json};

use super::template::{Body, ParamSpec, ResourceTemplate, Template, TemplateSource};

fn param(name: &str, description: &str, default: Option<&str>) -> ParamSpec {
    ParamSpec {
        name: name.into(),
        description: description.into(),
        required: default.is_none(),
        options: Vec::new(),
        default: default.map(str::to_owned),
    }
}

/// The template a ClusterClass object (JSON) offers; `context` is where it was read.
///
/// # Errors
/// When the object has no name.
pub fn from_cluster_class(class: &Value, context: &str) -> Result<Template, String> {
    let name = class["metadata"]["name"].as_str().ok_or("ClusterClass without metadata.name")?;
    let namespace = class["metadata"]["namespace"].as_str().unwrap_or("default");
    let mut params = vec![
        param("CLUSTER_NAME", "Name of the cluster", None),
        param("NAMESPACE", "Namespace of the cluster in the management cluster", Some(namespace)),
        param("KUBERNETES_VERSION", "Kubernetes version of the topology", None),
        param("CONTROL_PLANE_MACHINE_COUNT", "Number of control plane machines", Some("1")),
    ];
    let mut topology = json!({
        "classRef": { "name": name, "namespace": namespace },
        "version": "${KUBERNETES_VERSION}",
        "controlPlane": { "replicas": "${CONTROL_PLANE_MACHINE_COUNT}" },
    });
    if let Some(worker) = class["spec"]["workers"]["machineDeployments"][0]["class"].as_str() {
        params.push(param("WORKER_MACHINE_COUNT", &format!("Number of {worker} worker machines"), Some("1")));
        topology["workers"] = json!({ "machineDeployments": [
            { "class": worker, "name": "md-0", "replicas": "${WORKER_MACHINE_COUNT}" },
        ] });
    }
    let mut variables = Vec::new();
    for v in class["spec"]["variables"].as_array().into_iter().flatten() {
        let (Some(vname), true) = (v["name"].as_str(), v["required"].as_bool().unwrap_or(false)) else { continue };
        let schema = &v["schema"]["openAPIV3Schema"];
        let default = match &schema["default"] {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        };
        params.push(ParamSpec {
            name: vname.to_owned(),
            description: schema["description"].as_str().unwrap_or_default().to_owned(),
            required: default.is_none(),
            options: schema["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str())
                .map(str::to_owned)
                .collect(),
            default,
        });
        variables.push(json!({ "name": vname, "value": format!("${{{vname}}}") }));
    }
    if !variables.is_empty() {
        topology["variables"] = Value::Array(variables);
    }
    let cluster = json!({
        "apiVersion": "cluster.x-k8s.io/v1beta2",
        "kind": "Cluster",
        "metadata": { "name": "${CLUSTER_NAME}", "namespace": "${NAMESPACE}" },
        "spec": { "topology": topology },
    });
    Ok(Template {
        kind: "ClusterClass".into(),
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        source: TemplateSource::Cluster { context: context.to_owned() },
        description: format!("A Cluster with a managed topology from ClusterClass {namespace}/{name}"),
        render_type: "envsubst".into(),
        declared: params,
        resources: vec![ResourceTemplate { path: None, body: Body::Objects(vec![cluster]) }],
        charts: Vec::new(),
        profiles_path: None,
        annotations: Default::default(),
    })
}
