//! Authorization before acting: one SelfSubjectAccessReview (`authorization.k8s.io/v1`) per verb and
//! resource an action needs, as `kubectl auth can-i` asks. A denial refuses the action before any mutating
//! request, with the RBAC reason; the cockpit shows such actions disabled with that reason.
use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use kube::api::{Api, PostParams};
use kube::core::ApiResource;

use super::{OpError, RefusalKind};
use crate::model::object_ref::ObjectRef;

/// Asks whether the current credentials may `verb` the `subresource` (`""` for the object itself) of
/// `target`. Returns `None` when allowed, else the denial message (naming the verb, resource, namespace,
/// context and the authorizer's reason when it gives one).
///
/// # Errors
/// The API error when the review itself cannot be made.
pub async fn review(
    client: &kube::Client,
    ar: &ApiResource,
    target: &ObjectRef,
    verb: &str,
    subresource: &str,
) -> Result<Option<String>, kube::Error> {
    let attrs = ResourceAttributes {
        group: Some(ar.group.clone()),
        resource: Some(ar.plural.clone()),
        subresource: (!subresource.is_empty()).then(|| subresource.to_string()),
        verb: Some(verb.to_string()),
        namespace: (!target.namespace.is_empty()).then(|| target.namespace.clone()),
        name: Some(target.name.clone()),
        ..Default::default()
    };
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec { resource_attributes: Some(attrs), ..Default::default() },
        ..Default::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answer = api.create(&PostParams::default(), &review).await?;
    let status = answer.status.unwrap_or_default();
    if status.allowed {
        return Ok(None);
    }
    let resource = if subresource.is_empty() {
        format!("{}.{}", ar.plural, ar.group)
    } else {
        format!("{}.{}/{subresource}", ar.plural, ar.group)
    };
    let why =
        [status.reason, status.evaluation_error].into_iter().flatten().filter(|s| !s.is_empty()).collect::<Vec<_>>();
    let why = if why.is_empty() { String::new() } else { format!(": {}", why.join("; ")) };
    Ok(Some(format!(
        "RBAC: not allowed to {verb} {resource} {:?} in namespace {} (context {}){why}",
        target.name, target.namespace, target.context
    )))
}

/// Refuses with [`RefusalKind::Forbidden`] unless every (verb, subresource) of `access` is allowed. When
/// the review cannot be made (an old server, a webhook authorizer that fails), the action goes on and the
/// API server's own authorization decides.
///
/// # Errors
/// [`OpError::Refused`] with the first denial.
pub async fn authorize(
    client: &kube::Client,
    ar: &ApiResource,
    target: &ObjectRef,
    access: &[(&str, &str)],
) -> Result<(), OpError> {
    for (verb, sub) in access {
        match review(client, ar, target, verb, sub).await {
            Ok(None) => {}
            Ok(Some(denied)) => return Err(OpError::refused(RefusalKind::Forbidden, denied)),
            Err(e) => {
                tracing::warn!(
                    "SelfSubjectAccessReview for {target} failed ({}); the API server decides",
                    crate::fleet::describe(&e)
                );
            }
        }
    }
    Ok(())
}
