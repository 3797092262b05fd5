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

/// A temporary folder holding a copy of the RSA certificate fixture.
#[cfg(unix)]
fn tree_with_certificate() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let cert = real.join("cert.pem");
    std::fs::copy(data().join("rsa2048.pem"), &cert).unwrap();
    (dir, cert)
}

#[cfg(unix)]
#[test]
fn symlinks_to_files_and_folders_are_followed() {
    use std::os::unix::fs::symlink;
    let (dir, cert) = tree_with_certificate();
    // A symlink given directly as the root is followed.
    let link = dir.path().join("cert-link.pem");
    symlink(&cert, &link).unwrap();
    let r = scan(&link, &ReadinessConfig::default()).unwrap();
    assert_eq!(r.files_scanned, 1, "{:?}", r.issues);
    assert_eq!(r.uses.len(), 1);
    assert_eq!(r.uses[0].algorithm, "RSA");
    assert_eq!(r.uses[0].path, link);
    assert!(r.issues.is_empty());
    // A folder holding only a link to a file outside it (as in /etc/ssl/certs).
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    symlink(&cert, links.join("a.pem")).unwrap();
    let r = scan(&links, &ReadinessConfig::default()).unwrap();
    assert_eq!((r.files_scanned, r.uses.len()), (1, 1), "{:?}", r.issues);
    // A link to a folder is entered.
    let to_dir = dir.path().join("to-real");
    symlink(dir.path().join("real"), &to_dir).unwrap();
    let r = scan(&to_dir, &ReadinessConfig::default()).unwrap();
    assert_eq!((r.files_scanned, r.uses.len()), (1, 1), "{:?}", r.issues);
}

#[cfg(unix)]
#[test]
fn a_file_reached_twice_is_scanned_once_and_the_second_path_reported() {
    use std::os::unix::fs::symlink;
    let (dir, cert) = tree_with_certificate();
    // Like /etc/ssl/certs: a hash-named link to a named link to the file.
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    symlink(&cert, certs.join("named.pem")).unwrap();
    symlink(certs.join("named.pem"), certs.join("0a1b2c3d.0")).unwrap();
    let r = scan(&certs, &ReadinessConfig::default()).unwrap();
    assert_eq!(r.files_scanned, 1);
    assert_eq!(r.uses.len(), 1, "one certificate, counted once");
    assert_eq!(r.skipped(), 1, "{:?}", r.issues);
    let skip = &r.issues[0];
    assert!(skip.skipped && skip.path.ends_with("named.pem"), "{skip:?}");
    assert!(
        skip.message.contains("already scanned as") && skip.message.contains("0a1b2c3d.0"),
        "{skip}"
    );
    assert!(skip.to_string().contains(": skipped: "), "{skip}");
    assert!(!r.nothing_readable());
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_skipped_once_and_said_so() {
    use std::os::unix::fs::symlink;
    let (dir, _) = tree_with_certificate();
    let real = dir.path().join("real");
    // real/up -> real: a folder loop.
    symlink(&real, real.join("up")).unwrap();
    let r = scan(&real, &ReadinessConfig::default()).unwrap();
    assert_eq!((r.files_scanned, r.uses.len()), (1, 1), "{:?}", r.issues);
    assert_eq!(r.issues.len(), 1, "{:?}", r.issues);
    assert!(r.issues[0].skipped && r.issues[0].message.contains("symlink loop"));
    assert!(r.issues[0].path.ends_with("up"));
    // self -> self cannot be resolved at all; as the root nothing is readable.
    let selfie = dir.path().join("self");
    symlink(&selfie, &selfie).unwrap();
    let r = scan(&selfie, &ReadinessConfig::default()).unwrap();
    assert_eq!(r.files_scanned, 0);
    assert_eq!(r.skipped(), 1);
    assert!(
        r.issues[0].message.contains("symlink cannot be followed"),
        "{:?}",
        r.issues
    );
    assert!(r.nothing_readable());
    // A dangling link inside a folder is reported and the scan goes on.
    symlink(dir.path().join("gone.pem"), real.join("dangling.pem")).unwrap();
    let r = scan(&real, &ReadinessConfig::default()).unwrap();
    assert_eq!(r.uses.len(), 1);
    assert!(
        r.issues.iter().any(|i| i.skipped
            && i.path.ends_with("dangling.pem")
            && i.message.contains("target does not exist")),
        "{:?}",
        r.issues
    );
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_never_opened() {
    use std::os::unix::fs::symlink;
    let (dir, _) = tree_with_certificate();
    let fifo = dir.path().join("real").join("pipe.pem");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Opening the FIFO for reading would block this test forever.
    let r = scan(&fifo, &ReadinessConfig::default()).unwrap();
    assert_eq!(r.files_scanned, 0);
    assert_eq!(r.issues.len(), 1);
    assert!(r.issues[0].skipped);
    assert!(
        r.issues[0].message.contains("named pipe"),
        "{}",
        r.issues[0]
    );
    assert!(r.nothing_readable());
    // In a folder, beside a certificate, and through a link.
    symlink(&fifo, dir.path().join("real").join("pipe-link")).unwrap();
    let r = scan(&dir.path().join("real"), &ReadinessConfig::default()).unwrap();
    assert_eq!((r.files_scanned, r.uses.len()), (1, 1));
    assert_eq!(r.skipped(), 2, "{:?}", r.issues);
    assert!(!r.nothing_readable());
    let r = scan(Path::new("/dev/null"), &ReadinessConfig::default()).unwrap();
    assert!(
        r.issues[0].message.contains("character device"),
        "{:?}",
        r.issues
    );
    assert!(r.nothing_readable());
}

#[test]
fn files_over_the_size_limit_are_skipped_issues() {
    let cfg = ReadinessConfig {
        max_file_bytes: 10,
        ..ReadinessConfig::default()
    };
    let r = scan(&data().join("rsa2048.pem"), &cfg).unwrap();
    assert_eq!(r.files_scanned, 0);
    assert!(r.issues[0].skipped && r.issues[0].message.contains("> limit 10"));
    assert!(r.nothing_readable());
}
