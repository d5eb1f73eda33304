//! Certificates, keys and tokens for the harness's API servers, made fresh for every harness.
//!
//! One CA signs a serving certificate for `127.0.0.1` / `localhost` that every API server of the harness
//! presents, so the kubeconfig can carry `certificate-authority-data` and clients verify TLS for real.
//! The service-account signing key is ECDSA P-256: PKCS#8 for `--service-account-signing-key-file`, its
//! public half for `--service-account-key-file`.
use anyhow::{Context, Result};
use rand::Rng;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rcgen::{KeyUsagePurpose, SanType};

/// PEM material for one harness.
pub struct Pki {
    /// The CA certificate (PEM): what the kubeconfig trusts.
    pub ca_pem: String,
    /// The API servers' serving certificate (PEM), valid for 127.0.0.1 and localhost.
    pub serving_cert_pem: String,
    /// Its private key (PEM, PKCS#8).
    pub serving_key_pem: String,
    /// The service-account signing key (PEM, PKCS#8, ECDSA P-256).
    pub service_account_key_pem: String,
    /// Its public half (PEM `PUBLIC KEY`): kube-apiserver v1.20 reads only public or PKCS#1/SEC1 keys from
    /// `--service-account-key-file`.
    pub service_account_pub_pem: String,
}

impl Pki {
    /// Generates a fresh CA, serving certificate and service-account key.
    pub fn generate() -> Result<Pki> {
        let ca_key = KeyPair::generate().context("generating the envtest CA key")?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "fleetdeck-envtest-ca");
        ca_params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).context("signing the envtest CA")?;

        let key = KeyPair::generate().context("generating the serving key")?;
        let mut params = CertificateParams::new(vec!["localhost".to_string(), "kubernetes.default.svc".to_string()])?;
        params.subject_alt_names.push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
        params.distinguished_name.push(DnType::CommonName, "kube-apiserver");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &ca).context("signing the serving certificate")?;

        let sa = KeyPair::generate().context("generating the service-account key")?;
        Ok(Pki {
            ca_pem: ca.pem(),
            serving_cert_pem: cert.pem(),
            serving_key_pem: key.serialize_pem(),
            service_account_key_pem: sa.serialize_pem(),
            service_account_pub_pem: sa.public_key_pem(),
        })
    }
}

/// A random bearer token: 32 lowercase hex characters.
pub fn token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
