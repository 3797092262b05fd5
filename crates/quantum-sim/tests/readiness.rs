//! Readiness scan over certificates, SSH keys and TLS/SSH configuration
//! generated with openssl and ssh-keygen (see tests/data/README.md).

#![allow(clippy::unwrap_used, reason = "tests fail loudly on fixture errors")]

use std::path::Path;

use aiops_quantum_sim::readiness::{
    ReadinessConfig, SecrecyRule, UseKind, Vulnerability, parse_certificate_der, scan,
};

fn data() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"))
}

fn find<'a>(
    r: &'a aiops_quantum_sim::readiness::ReadinessReport,
    file: &str,
) -> Vec<&'a aiops_quantum_sim::readiness::CryptoUse> {
    r.uses.iter().filter(|u| u.path.ends_with(file)).collect()
}

#[test]
fn certificates_have_the_right_algorithm_and_size() {
    let r = scan(data(), &ReadinessConfig::default()).unwrap();
    for (file, alg, bits) in [
        ("rsa2048.pem", "RSA", 2048),
        ("rsa2048.der", "RSA", 2048),
        ("ecdsa_p256.pem", "ECDSA P-256", 256),
        ("ed25519.pem", "Ed25519", 256),
    ] {
        let u = find(&r, file);
        assert_eq!(u.len(), 1, "{file}");
        assert_eq!(u[0].kind, UseKind::Certificate);
        assert_eq!(u[0].algorithm, alg, "{file}");
        assert_eq!(u[0].key_bits, Some(bits), "{file}");
        assert_eq!(u[0].vulnerability, Vulnerability::ShorBreakable);
        assert!(u[0].not_after.is_some());
    }
}

#[test]
fn ssh_keys_have_the_right_algorithm_and_size() {
    let r = scan(data(), &ReadinessConfig::default()).unwrap();
    for (file, alg, bits) in [
        ("id_rsa.pub", "RSA", 2048),
        ("id_ecdsa.pub", "ECDSA P-256", 256),
        ("id_ed25519.pub", "Ed25519", 256),
    ] {
        let u = find(&r, file);
        assert_eq!(u.len(), 1, "{file}");
        assert_eq!(
            (u[0].algorithm.as_str(), u[0].key_bits),
            (alg, Some(bits)),
            "{file}"
        );
        assert_eq!(u[0].kind, UseKind::SshKey);
    }
    let ak = find(&r, "authorized_keys");
    assert_eq!(ak.len(), 2);
    assert!(ak.iter().all(|u| u.kind == UseKind::AuthorizedKey));
    assert_eq!(ak[0].algorithm, "Ed25519");
    assert_eq!(ak[1].key_bits, Some(2048));
    let kh = find(&r, "known_hosts");
    assert_eq!(kh.len(), 2);
    assert_eq!(kh[0].algorithm, "ECDSA P-256");
    assert!(kh[0].detail.contains("host1.example"));
}

#[test]
fn tls_and_ssh_configuration() {
    let r = scan(data(), &ReadinessConfig::default()).unwrap();
    let nginx = find(&r, "nginx.conf");
    let pq: Vec<_> = nginx
        .iter()
        .filter(|u| u.vulnerability == Vulnerability::PostQuantum)
        .collect();
    assert!(pq.iter().any(|u| u.algorithm == "X25519MLKEM768"));
    assert!(
        nginx
            .iter()
            .any(|u| u.algorithm == "AES-128" && u.vulnerability == Vulnerability::GroverWeakened)
    );
    assert!(nginx.iter().any(|u| u.algorithm == "RSA key transport"));
    assert!(
        nginx
            .iter()
            .any(|u| u.algorithm == "ECDH P-256" && u.kind == UseKind::TlsGroup)
    );
    let ossl = find(&r, "openssl.cnf");
    assert!(
        ossl.iter()
            .any(|u| u.algorithm == "FFDH" && u.key_bits == Some(2048))
    );
    let sshd = find(&r, "sshd_config");
    assert!(
        sshd.iter()
            .any(|u| u.kind == UseKind::SshKex && u.vulnerability == Vulnerability::PostQuantum)
    );
    assert!(
        sshd.iter()
            .any(|u| u.algorithm == "X25519" && u.vulnerability == Vulnerability::ShorBreakable)
    );
}

#[test]
fn unreadable_files_are_reported_and_the_scan_continues() {
    let r = scan(data(), &ReadinessConfig::default()).unwrap();
    assert!(
        r.issues.iter().any(|i| i.path.ends_with("broken.crt")),
        "{:?}",
        r.issues
    );
    assert!(r.files_scanned >= 12);
    let bad = parse_certificate_der(Path::new("x.der"), b"garbage");
    assert!(matches!(
        bad,
        Err(aiops_quantum_sim::Error::Certificate { .. })
    ));
    assert!(
        scan(
            Path::new("/definitely/not/here"),
            &ReadinessConfig::default()
        )
        .is_err()
    );
}

#[test]
fn roadmap_orders_long_lived_secrets_first() {
    let r = scan(data(), &ReadinessConfig::default()).unwrap();
    // No post-quantum use in the roadmap; ranks are 1..n.
    assert!(
        r.roadmap
            .iter()
            .all(|i| i.crypto_use.vulnerability != Vulnerability::PostQuantum)
    );
    assert!(r.roadmap.iter().enumerate().all(|(k, i)| i.rank == k + 1));
    // Shor-breakable key exchange (x = 10 years of confidentiality) is at risk
    // and comes before authentication keys (x = 1 year).
    let first = &r.roadmap[0];
    assert!(
        first.crypto_use.kind.protects_confidentiality(),
        "{first:?}"
    );
    assert!(first.mosca.at_risk);
    let last_shor = r
        .roadmap
        .iter()
        .rposition(|i| i.crypto_use.vulnerability == Vulnerability::ShorBreakable)
        .unwrap();
    assert!(!r.roadmap[last_shor].mosca.at_risk);
    for w in r.roadmap.windows(2) {
        if w[0].crypto_use.vulnerability == w[1].crypto_use.vulnerability {
            assert!(w[0].mosca.margin >= w[1].mosca.margin);
        }
    }
    // Declaring that the RSA certificate protects 25-year secrets moves it to the top.
    let cfg = ReadinessConfig {
        secrecy_rules: vec![SecrecyRule {
            path_contains: "rsa2048.der".into(),
            years: 25.0,
        }],
        ..ReadinessConfig::default()
    };
    let r = scan(data(), &cfg).unwrap();
    assert!(r.roadmap[0].crypto_use.path.ends_with("rsa2048.der"));
    assert!((r.roadmap[0].mosca.margin - (25.0 + 3.0 - 10.0)).abs() < 1e-12);
}

#[test]
fn a_scan_where_every_file_failed_is_nothing_readable() {
    let r = scan(&data().join("broken.crt"), &ReadinessConfig::default()).unwrap();
    assert_eq!(r.issues.len(), 1);
    assert!(r.uses.is_empty());
    assert!(r.nothing_readable());
    // The folder holds readable files too: the broken one is an issue only.
    let r = scan(data(), &ReadinessConfig::default()).unwrap();
    assert!(r.issues.iter().any(|i| i.path.ends_with("broken.crt")));
    assert!(!r.nothing_readable());
    // A readable file without any cryptography is a clean, empty report.
    let r = scan(&data().join("README.md"), &ReadinessConfig::default()).unwrap();
    assert!(r.issues.is_empty() && !r.nothing_readable());
}

#[test]
fn year_counts_are_validated() {
    let def = ReadinessConfig::default;
    for cfg in [
        ReadinessConfig {
            years_to_crqc: f64::NAN,
            ..def()
        },
        ReadinessConfig {
            confidentiality_years: -1.0,
            ..def()
        },
        ReadinessConfig {
            migration_years_ssh: f64::INFINITY,
            ..def()
        },
        ReadinessConfig {
            authentication_years: 1000.5,
            ..def()
        },
        ReadinessConfig {
            secrecy_rules: vec![SecrecyRule {
                path_contains: "x".into(),
                years: -3.0,
            }],
            ..def()
        },
    ] {
        let e = scan(data(), &cfg).unwrap_err();
        assert!(matches!(e, aiops_quantum_sim::Error::Invalid { .. }), "{e}");
        assert!(cfg.validate().is_err());
    }
    let edge = ReadinessConfig {
        years_to_crqc: 0.0,
        confidentiality_years: 1000.0,
        ..def()
    };
    assert!(edge.validate().is_ok());
}
