//! TLS and SSH configuration directives: cipher lists, key-exchange groups.

use super::{UseKind, Vulnerability};

/// One algorithm found in a configuration line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConfigAlg {
    pub(crate) kind: UseKind,
    pub(crate) algorithm: String,
    pub(crate) bits: Option<u32>,
    pub(crate) vulnerability: Vulnerability,
    pub(crate) detail: String,
}

fn alg(
    kind: UseKind,
    algorithm: &str,
    bits: Option<u32>,
    v: Vulnerability,
    detail: &str,
) -> ConfigAlg {
    ConfigAlg {
        kind,
        algorithm: algorithm.to_owned(),
        bits,
        vulnerability: v,
        detail: detail.to_owned(),
    }
}

enum Directive {
    Ciphers,
    Groups,
    SshKex,
    SshCiphers,
    SshHostKeys,
}

/// Split a configuration line into `(directive, value)`, recognising nginx
/// (`ssl_ciphers "..";`), OpenSSL (`CipherString = ..`), Apache
/// (`SSLCipherSuite ..`, `SSLOpenSSLConfCmd Groups ..`), HAProxy and
/// sshd/ssh config (`KexAlgorithms ..`).
fn directive(line: &str) -> Option<(Directive, String)> {
    let t = line.trim();
    if t.starts_with('#') || t.starts_with(';') || t.is_empty() {
        return None;
    }
    let (key, rest) = match t.find(|c: char| c.is_whitespace() || c == '=') {
        Some(i) => (
            &t[..i],
            t[i..].trim_start_matches(|c: char| c.is_whitespace() || c == '='),
        ),
        None => return None,
    };
    let key_l = key.to_ascii_lowercase();
    let (d, value) = match key_l.as_str() {
        "ssl_ciphers"
        | "cipherstring"
        | "ciphersuites"
        | "sslciphersuite"
        | "sslproxyciphersuite"
        | "ssl-default-bind-ciphers"
        | "ssl-default-bind-ciphersuites"
        | "ssl-default-server-ciphers" => (Directive::Ciphers, rest),
        "ssl_ecdh_curve" | "groups" | "curves" | "ssl-default-bind-curves" | "ecdhcurve" => {
            (Directive::Groups, rest)
        }
        "sslopensslconfcmd" | "ssl_conf_command" => {
            let mut it = rest.splitn(2, char::is_whitespace);
            let sub = it.next().unwrap_or("").to_ascii_lowercase();
            let v = it.next().unwrap_or("");
            match sub.as_str() {
                "groups" | "curves" => (Directive::Groups, v),
                "ciphersuites" | "cipherstring" => (Directive::Ciphers, v),
                _ => return None,
            }
        }
        "kexalgorithms" => (Directive::SshKex, rest),
        "ciphers" => (Directive::SshCiphers, rest),
        "hostkeyalgorithms" | "pubkeyacceptedalgorithms" | "pubkeyacceptedkeytypes" => {
            (Directive::SshHostKeys, rest)
        }
        _ => return None,
    };
    // Apache SSLCipherSuite may start with a protocol name.
    let value = value
        .trim()
        .trim_end_matches(';')
        .trim()
        .trim_matches(|c| c == '"' || c == '\'');
    let value = value
        .strip_prefix("TLSv1.3 ")
        .or_else(|| value.strip_prefix("SSL "))
        .unwrap_or(value);
    Some((d, value.to_owned()))
}

/// Symmetric cipher name -> (name, key bits).
fn bulk(name: &str) -> Option<(&'static str, u32)> {
    let u = name.to_ascii_uppercase();
    Some(if u.contains("AES256") || u.contains("AES_256") {
        ("AES-256", 256)
    } else if u.contains("AES128") || u.contains("AES_128") {
        ("AES-128", 128)
    } else if u.contains("CHACHA20") {
        ("ChaCha20", 256)
    } else if u.contains("CAMELLIA256") {
        ("Camellia-256", 256)
    } else if u.contains("CAMELLIA128") {
        ("Camellia-128", 128)
    } else if u.contains("3DES") || u.contains("DES-CBC3") || u.contains("DES_EDE3") {
        ("3DES", 112)
    } else if u.contains("RC4") {
        ("RC4", 128)
    } else {
        return None;
    })
}

fn symmetric(kind: UseKind, name: &str, bits: u32, detail: &str) -> ConfigAlg {
    // Grover halves the effective key length: 256-bit keys stay at 128-bit
    // security and count as quantum-resistant; shorter keys are weakened.
    let v = if bits >= 256 {
        Vulnerability::PostQuantum
    } else {
        Vulnerability::GroverWeakened
    };
    alg(kind, name, Some(bits), v, detail)
}

/// Algorithms named by an OpenSSL-style cipher list (names and expressions).
fn cipher_list(value: &str) -> Vec<ConfigAlg> {
    let mut out = Vec::new();
    for tok in value.split([':', ',', ' ']).map(str::trim) {
        if tok.is_empty() || tok.starts_with('!') || tok.starts_with('-') || tok.starts_with('@') {
            continue;
        }
        let tok = tok.trim_start_matches('+');
        let u = tok.to_ascii_uppercase();
        if matches!(
            u.as_str(),
            "HIGH" | "MEDIUM" | "LOW" | "DEFAULT" | "ALL" | "COMPLEMENTOFDEFAULT"
        ) {
            continue;
        }
        let detail = format!("cipher `{tok}`");
        let parts: Vec<&str> = u.split(['-', '+', '_']).collect();
        let tls13 = u.starts_with("TLS_") && !u.contains("_WITH_");
        if !tls13 {
            let kx = if parts
                .iter()
                .any(|p| matches!(*p, "ECDHE" | "EECDH" | "ECDH"))
            {
                Some(("ECDHE", None))
            } else if parts.iter().any(|p| matches!(*p, "DHE" | "EDH" | "DH")) {
                Some(("DHE (finite-field)", None))
            } else if parts.contains(&"PSK") {
                None
            } else if parts.first().is_some_and(|p| {
                p.starts_with("AES")
                    || *p == "DES"
                    || *p == "RC4"
                    || *p == "CAMELLIA128"
                    || *p == "CAMELLIA256"
            }) || parts.first() == Some(&"RSA")
                || (u.starts_with("TLS_RSA_WITH"))
            {
                Some(("RSA key transport", None))
            } else {
                None
            };
            if let Some((name, bits)) = kx {
                out.push(alg(
                    UseKind::TlsKeyExchange,
                    name,
                    bits,
                    Vulnerability::ShorBreakable,
                    &detail,
                ));
            }
        }
        if let Some((name, bits)) = bulk(&u) {
            out.push(symmetric(UseKind::TlsCipher, name, bits, &detail));
        }
    }
    out
}

/// TLS named groups.
fn group(name: &str) -> Option<ConfigAlg> {
    use Vulnerability::{PostQuantum, ShorBreakable};
    let l = name.to_ascii_lowercase();
    let detail = format!("group `{name}`");
    let k = UseKind::TlsGroup;
    Some(
        if l.contains("mlkem") || l.contains("kyber") || l.contains("ntru") {
            alg(
                k,
                name,
                None,
                PostQuantum,
                &format!("{detail} (hybrid/post-quantum key exchange)"),
            )
        } else {
            match l.as_str() {
                "x25519" => alg(k, "X25519", Some(256), ShorBreakable, &detail),
                "x448" => alg(k, "X448", Some(448), ShorBreakable, &detail),
                "prime256v1" | "p-256" | "secp256r1" => {
                    alg(k, "ECDH P-256", Some(256), ShorBreakable, &detail)
                }
                "secp384r1" | "p-384" => alg(k, "ECDH P-384", Some(384), ShorBreakable, &detail),
                "secp521r1" | "p-521" => alg(k, "ECDH P-521", Some(521), ShorBreakable, &detail),
                f if f.starts_with("ffdhe") => {
                    let bits = f[5..].parse().ok();
                    alg(k, "FFDH", bits, ShorBreakable, &detail)
                }
                _ => return None,
            }
        },
    )
}

fn ssh_kex(name: &str) -> Option<ConfigAlg> {
    use Vulnerability::{PostQuantum, ShorBreakable};
    let l = name.to_ascii_lowercase();
    let detail = format!("SSH key exchange `{name}`");
    let k = UseKind::SshKex;
    Some(
        if l.starts_with("sntrup761") || l.starts_with("mlkem") || l.contains("kyber") {
            alg(k, name, None, PostQuantum, &detail)
        } else if l.starts_with("curve25519") {
            alg(k, "X25519", Some(256), ShorBreakable, &detail)
        } else if l.starts_with("curve448") {
            alg(k, "X448", Some(448), ShorBreakable, &detail)
        } else if let Some(c) = l.strip_prefix("ecdh-sha2-nistp") {
            alg(
                k,
                &format!("ECDH P-{c}"),
                c.parse().ok(),
                ShorBreakable,
                &detail,
            )
        } else if l.starts_with("diffie-hellman-group") {
            let bits = if l.starts_with("diffie-hellman-group1-") {
                Some(1024)
            } else if l.starts_with("diffie-hellman-group14") {
                Some(2048)
            } else if l.starts_with("diffie-hellman-group16") {
                Some(4096)
            } else if l.starts_with("diffie-hellman-group18") {
                Some(8192)
            } else {
                None
            };
            alg(k, "FFDH", bits, ShorBreakable, &detail)
        } else {
            return None;
        },
    )
}

fn ssh_host_key_alg(name: &str) -> Option<ConfigAlg> {
    let l = name.to_ascii_lowercase();
    let detail = format!("SSH signature algorithm `{name}`");
    let k = UseKind::SshHostKeyAlgorithm;
    let base = if l.starts_with("rsa-sha2") || l.starts_with("ssh-rsa") {
        "RSA"
    } else if l.contains("ed25519") {
        "Ed25519"
    } else if l.contains("nistp") {
        "ECDSA"
    } else if l.starts_with("ssh-dss") {
        "DSA"
    } else {
        return None;
    };
    Some(alg(k, base, None, Vulnerability::ShorBreakable, &detail))
}

/// Algorithms named on one configuration line.
pub(crate) fn parse_line(line: &str) -> Vec<ConfigAlg> {
    let Some((d, value)) = directive(line) else {
        return Vec::new();
    };
    let items = || {
        value
            .split([':', ',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty() && !s.starts_with(['!', '-', '+', '^']))
    };
    match d {
        Directive::Ciphers => cipher_list(&value),
        Directive::Groups => items().filter_map(group).collect(),
        Directive::SshKex => items().filter_map(ssh_kex).collect(),
        Directive::SshCiphers => items()
            .filter_map(|c| {
                bulk(c)
                    .map(|(n, b)| symmetric(UseKind::SshCipher, n, b, &format!("SSH cipher `{c}`")))
            })
            .collect(),
        Directive::SshHostKeys => items().filter_map(ssh_host_key_alg).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_and_openssl_lines() {
        let v = parse_line(r#"    ssl_ciphers "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA:!aNULL";"#);
        let names: Vec<&str> = v.iter().map(|a| a.algorithm.as_str()).collect();
        assert_eq!(names, ["ECDHE", "AES-128", "RSA key transport", "AES-256"]);
        let g = parse_line("Groups = X25519MLKEM768:secp384r1:ffdhe3072");
        assert_eq!(g.len(), 3);
        assert_eq!(g[0].vulnerability, Vulnerability::PostQuantum);
        assert_eq!(g[1].bits, Some(384));
        assert_eq!(g[2].bits, Some(3072));
        assert!(parse_line("# ssl_ciphers AES128-SHA;").is_empty());
        let k = parse_line(
            "KexAlgorithms sntrup761x25519-sha512@openssh.com,diffie-hellman-group14-sha256",
        );
        assert_eq!(k[0].vulnerability, Vulnerability::PostQuantum);
        assert_eq!(k[1].bits, Some(2048));
        let t = parse_line("Ciphersuites = TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256");
        assert_eq!(t.len(), 2);
        assert!(t.iter().all(|a| a.kind == UseKind::TlsCipher));
    }
}
