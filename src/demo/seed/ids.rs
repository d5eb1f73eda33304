//! Deterministic identifiers for the demo fleet: Git revisions, Terraform plan ids, digests, the random-looking
//! name suffixes Kubernetes controllers append, and addresses.
//!
//! Everything here is a pure function of a seed string, so the same fleet comes out of every run and the
//! simulated controllers can compute the next revision themselves ([`revision`], [`plan_id`]).

/// 64-bit FNV-1a of `s`: the seed every other function here starts from.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// One step of splitmix64: a well-mixed stream of words from one seed.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `len` lowercase hex digits derived from `seed`.
pub(super) fn hex(seed: &str, len: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut state = fnv1a(seed);
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let word = splitmix(&mut state);
        for i in 0..16 {
            if out.len() == len {
                break;
            }
            out.push(char::from(DIGITS[((word >> (i * 4)) & 0xf) as usize]));
        }
    }
    out
}

/// `sha256:<64 hex>`: the digest format Flux uses for artifacts, inventories and Helm release snapshots.
pub(super) fn digest(seed: &str) -> String {
    format!("sha256:{}", hex(seed, 64))
}

/// A decimal number derived from `seed`, below `modulo` (at least 1).
pub(super) fn number(seed: &str, modulo: u64) -> u64 {
    let mut state = fnv1a(seed);
    splitmix(&mut state) % modulo.max(1)
}

/// Five characters from the alphabet of apimachinery's `rand.String` (no vowels, no confusable digits):
/// the suffix the MachineSet, KubeadmControlPlane and ReplicaSet controllers append to generated names.
pub(super) fn suffix(seed: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut state = fnv1a(seed);
    let word = splitmix(&mut state);
    (0..5)
        .map(|i| {
            let idx = ((word >> (i * 12)) & 0xfff) as usize % ALPHABET.len();
            char::from(ALPHABET[idx])
        })
        .collect()
}

/// An IPv4 address under the two-octet `prefix` (e.g. `"172.18"`), host part derived from `seed`.
pub(super) fn ipv4(prefix: &str, seed: &str) -> String {
    let n = number(seed, 250 * 250);
    format!("{prefix}.{}.{}", n / 250 + 1, n % 250 + 2)
}

/// A deterministic Git revision in Flux's format, `<branch>@sha1:<40 hex>`, for commit number `n` of `branch`.
///
/// The simulated controllers call this with a growing `n` to make a repository "receive a commit"; the same
/// `(branch, n)` always gives the same revision.
pub fn revision(branch: &str, n: u64) -> String {
    format!("{branch}@sha1:{}", hex(&format!("commit/{branch}/{n}"), 40))
}

/// The tofu-controller plan id for a source revision: `main@sha1:<hex>` gives `plan-main-<first 10 hex>`.
///
/// The legacy `<branch>/<sha>` revision format gives the same id. Any other revision (a tag, a bucket digest)
/// gives `plan-<revision>` with `/` and `:` replaced by `-`, as tofu-controller does for revisions it cannot
/// shorten.
pub fn plan_id(revision: &str) -> String {
    let split = revision.split_once("@sha1:").or_else(|| revision.split_once('/'));
    match split {
        Some((branch, sha)) if sha.len() >= 10 && sha.is_char_boundary(10) => {
            format!("plan-{branch}-{}", &sha[..10])
        }
        _ => format!("plan-{}", revision.replace(['/', ':'], "-")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_is_deterministic_and_well_formed() {
        let r = revision("main", 42);
        assert_eq!(r, revision("main", 42));
        assert_ne!(r, revision("main", 43));
        let hex = r.strip_prefix("main@sha1:").expect("prefix");
        assert_eq!(hex.len(), 40);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn plan_id_follows_tofu_controller() {
        let r = "main@sha1:b8e362c206e3d0cbb7ed22ced771a0056455a2fb";
        assert_eq!(plan_id(r), "plan-main-b8e362c206");
        assert_eq!(plan_id("master/b8e362c206e3d0cbb7ed22ced771a0056455a2fb"), "plan-master-b8e362c206");
        assert_eq!(plan_id("v1.2.3"), "plan-v1.2.3");
    }

    #[test]
    fn suffix_uses_the_kubernetes_alphabet() {
        let s = suffix("dev-eu-md-0");
        assert_eq!(s.len(), 5);
        assert!(s.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
        assert_ne!(suffix("a"), suffix("b"));
    }
}
