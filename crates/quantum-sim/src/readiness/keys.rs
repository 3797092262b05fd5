//! Key and certificate decoding: X.509 through `x509-parser`, SSH key blobs
//! (RFC 4253 wire format) and the small DER walk needed for private keys.

use std::borrow::Cow;

use base64::Engine as _;
use x509_parser::der_parser::oid::Oid;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::Vulnerability;

/// What a key is: algorithm name, size in bits, quantum vulnerability.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyInfo {
    pub(crate) algorithm: String,
    pub(crate) bits: Option<u32>,
    pub(crate) vulnerability: Vulnerability,
}

fn key(algorithm: &str, bits: Option<u32>, vulnerability: Vulnerability) -> KeyInfo {
    KeyInfo {
        algorithm: algorithm.to_owned(),
        bits,
        vulnerability,
    }
}

/// Bits of a big-endian unsigned integer.
pub(crate) fn int_bits(bytes: &[u8]) -> u32 {
    let trimmed: &[u8] = match bytes.iter().position(|&b| b != 0) {
        Some(i) => &bytes[i..],
        None => return 0,
    };
    trimmed.len() as u32 * 8 - trimmed[0].leading_zeros()
}

fn curve_from_oid(oid: &str) -> Option<(&'static str, u32)> {
    Some(match oid {
        "1.2.840.10045.3.1.7" => ("ECDSA P-256", 256),
        "1.3.132.0.34" => ("ECDSA P-384", 384),
        "1.3.132.0.35" => ("ECDSA P-521", 521),
        "1.3.132.0.10" => ("ECDSA secp256k1", 256),
        "1.2.840.10045.3.1.1" => ("ECDSA P-192", 192),
        "1.3.36.3.3.2.8.1.1.7" => ("ECDSA brainpoolP256r1", 256),
        "1.3.36.3.3.2.8.1.1.11" => ("ECDSA brainpoolP384r1", 384),
        _ => return None,
    })
}

/// Classify a public-key algorithm OID (with EC curve OID and RSA modulus bits when known).
pub(crate) fn classify_oid(alg: &str, curve: Option<&str>, rsa_bits: Option<u32>) -> KeyInfo {
    use Vulnerability::{PostQuantum, ShorBreakable};
    match alg {
        "1.2.840.113549.1.1.1" => key("RSA", rsa_bits, ShorBreakable),
        "1.2.840.113549.1.1.10" => key("RSA-PSS", rsa_bits, ShorBreakable),
        "1.2.840.10045.2.1" => match curve.and_then(curve_from_oid) {
            Some((name, bits)) => key(name, Some(bits), ShorBreakable),
            None => key(
                &format!("ECDSA (curve {})", curve.unwrap_or("unknown")),
                None,
                ShorBreakable,
            ),
        },
        "1.3.101.112" => key("Ed25519", Some(256), ShorBreakable),
        "1.3.101.113" => key("Ed448", Some(456), ShorBreakable),
        "1.3.101.110" => key("X25519", Some(256), ShorBreakable),
        "1.3.101.111" => key("X448", Some(448), ShorBreakable),
        "1.2.840.10040.4.1" => key("DSA", None, ShorBreakable),
        "1.2.840.113549.1.3.1" | "1.2.840.10046.2.1" => key("DH", None, ShorBreakable),
        "2.16.840.1.101.3.4.3.17" => key("ML-DSA-44", None, PostQuantum),
        "2.16.840.1.101.3.4.3.18" => key("ML-DSA-65", None, PostQuantum),
        "2.16.840.1.101.3.4.3.19" => key("ML-DSA-87", None, PostQuantum),
        "2.16.840.1.101.3.4.4.1" => key("ML-KEM-512", None, PostQuantum),
        "2.16.840.1.101.3.4.4.2" => key("ML-KEM-768", None, PostQuantum),
        "2.16.840.1.101.3.4.4.3" => key("ML-KEM-1024", None, PostQuantum),
        o if o.starts_with("2.16.840.1.101.3.4.3.") => {
            let n: u32 = o
                .rsplit('.')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if (20..=31).contains(&n) {
                key("SLH-DSA", None, PostQuantum)
            } else {
                key(&format!("unknown ({o})"), None, Vulnerability::Unknown)
            }
        }
        o => key(&format!("unknown ({o})"), None, Vulnerability::Unknown),
    }
}

/// Classify a parsed SubjectPublicKeyInfo.
pub(crate) fn classify_spki(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
    let alg = spki.algorithm.algorithm.to_id_string();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let rsa_bits = match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(int_bits(rsa.modulus)),
        _ => None,
    };
    classify_oid(&alg, curve.as_deref(), rsa_bits)
}

/// A minimal DER reader: `(tag, value, rest)`.
pub(crate) fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = if l0 < 0x80 {
        (usize::from(l0), rest)
    } else {
        let nb = usize::from(l0 & 0x7f);
        if nb == 0 || nb > 4 || rest.len() < nb {
            return None;
        }
        let len = rest[..nb]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        (len, &rest[nb..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

fn oid_string(bytes: &[u8]) -> String {
    Oid::new(Cow::Borrowed(bytes)).to_id_string()
}

/// `RSAPrivateKey ::= SEQUENCE { version, modulus, ... }` -> modulus bits.
fn rsa_private_bits(der: &[u8]) -> Option<u32> {
    let (0x30, seq, _) = tlv(der)? else {
        return None;
    };
    let (0x02, _, rest) = tlv(seq)? else {
        return None;
    };
    let (0x02, n, _) = tlv(rest)? else {
        return None;
    };
    Some(int_bits(n))
}

/// Classify a private key PEM block by label (`PRIVATE KEY` = PKCS#8,
/// `RSA PRIVATE KEY` = PKCS#1, `EC PRIVATE KEY` = SEC1). Errors are messages.
pub(crate) fn classify_private_key(label: &str, der: &[u8]) -> Result<KeyInfo, String> {
    let bad = || format!("malformed {label}");
    match label {
        "RSA PRIVATE KEY" => Ok(classify_oid(
            "1.2.840.113549.1.1.1",
            None,
            Some(rsa_private_bits(der).ok_or_else(bad)?),
        )),
        "EC PRIVATE KEY" => {
            let (0x30, mut seq, _) = tlv(der).ok_or_else(bad)? else {
                return Err(bad());
            };
            let mut curve = None;
            while let Some((tag, val, rest)) = tlv(seq) {
                if tag == 0xa0
                    && let Some((0x06, oid, _)) = tlv(val)
                {
                    curve = Some(oid_string(oid));
                }
                seq = rest;
            }
            Ok(classify_oid("1.2.840.10045.2.1", curve.as_deref(), None))
        }
        "PRIVATE KEY" => {
            let (0x30, seq, _) = tlv(der).ok_or_else(bad)? else {
                return Err(bad());
            };
            let (0x02, _, rest) = tlv(seq).ok_or_else(bad)? else {
                return Err(bad());
            };
            let (0x30, alg_id, rest) = tlv(rest).ok_or_else(bad)? else {
                return Err(bad());
            };
            let (0x06, alg_oid, params) = tlv(alg_id).ok_or_else(bad)? else {
                return Err(bad());
            };
            let alg = oid_string(alg_oid);
            let curve = match tlv(params) {
                Some((0x06, c, _)) => Some(oid_string(c)),
                _ => None,
            };
            let rsa_bits = match tlv(rest) {
                Some((0x04, inner, _)) if alg.starts_with("1.2.840.113549.1.1.") => {
                    rsa_private_bits(inner)
                }
                _ => None,
            };
            Ok(classify_oid(&alg, curve.as_deref(), rsa_bits))
        }
        _ => Err(format!("unsupported private key type {label}")),
    }
}

/// SSH wire-format reader.
struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
    fn string(&mut self) -> Option<&'a [u8]> {
        if self.0.len() < 4 {
            return None;
        }
        let len = u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]]) as usize;
        let rest = &self.0[4..];
        if rest.len() < len {
            return None;
        }
        self.0 = &rest[len..];
        Some(&rest[..len])
    }
    fn u32(&mut self) -> Option<u32> {
        if self.0.len() < 4 {
            return None;
        }
        let v = u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.0[3]]);
        self.0 = &self.0[4..];
        Some(v)
    }
}

/// SSH key type names this scanner recognises.
pub(crate) fn is_ssh_key_type(t: &str) -> bool {
    let base = t.trim_end_matches("-cert-v01@openssh.com");
    matches!(
        base,
        "ssh-rsa"
            | "ssh-dss"
            | "ssh-ed25519"
            | "ssh-ed448"
            | "ecdsa-sha2-nistp256"
            | "ecdsa-sha2-nistp384"
            | "ecdsa-sha2-nistp521"
            | "sk-ecdsa-sha2-nistp256@openssh.com"
            | "sk-ssh-ed25519@openssh.com"
    ) || base.starts_with("sk-ecdsa-sha2-nistp256")
        || base.starts_with("sk-ssh-ed25519")
}

/// Decode an SSH public key blob (RFC 4253 / 5656 / 8709, OpenSSH certificates).
pub(crate) fn classify_ssh_blob(blob: &[u8]) -> Result<KeyInfo, String> {
    use Vulnerability::ShorBreakable;
    let mut w = Wire(blob);
    let ty = w.string().ok_or("truncated key blob")?;
    let ty = std::str::from_utf8(ty).map_err(|_| "key type is not UTF-8")?;
    let cert = ty.ends_with("-cert-v01@openssh.com");
    if cert {
        w.string().ok_or("truncated certificate nonce")?;
    }
    let base = ty.trim_end_matches("-cert-v01@openssh.com");
    let info = match base {
        "ssh-rsa" => {
            w.string().ok_or("truncated RSA exponent")?;
            let n = w.string().ok_or("truncated RSA modulus")?;
            key("RSA", Some(int_bits(n)), ShorBreakable)
        }
        "ssh-dss" => {
            let p = w.string().ok_or("truncated DSA p")?;
            key("DSA", Some(int_bits(p)), ShorBreakable)
        }
        "ssh-ed25519" | "sk-ssh-ed25519@openssh.com" => key("Ed25519", Some(256), ShorBreakable),
        "ssh-ed448" => key("Ed448", Some(456), ShorBreakable),
        t if t.starts_with("ecdsa-sha2-") || t.starts_with("sk-ecdsa-sha2-") => {
            let curve = w.string().ok_or("truncated ECDSA curve")?;
            let (name, bits) = match curve {
                b"nistp256" => ("ECDSA P-256", 256),
                b"nistp384" => ("ECDSA P-384", 384),
                b"nistp521" => ("ECDSA P-521", 521),
                _ => return Err("unknown ECDSA curve".into()),
            };
            key(name, Some(bits), ShorBreakable)
        }
        other => return Err(format!("unsupported SSH key type {other}")),
    };
    Ok(info)
}

/// Base64 (standard alphabet, padding optional).
pub(crate) fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .ok()
}

/// The first public key of an `openssh-key-v1` private key file.
pub(crate) fn classify_openssh_private(der: &[u8]) -> Result<KeyInfo, String> {
    let magic = b"openssh-key-v1\0";
    let rest = der.strip_prefix(magic).ok_or("not an openssh-key-v1 key")?;
    let mut w = Wire(rest);
    w.string().ok_or("truncated cipher name")?;
    w.string().ok_or("truncated kdf name")?;
    w.string().ok_or("truncated kdf options")?;
    let n = w.u32().ok_or("truncated key count")?;
    if n == 0 {
        return Err("no keys".into());
    }
    let blob = w.string().ok_or("truncated public key")?;
    classify_ssh_blob(blob)
}

/// Parse an SPKI in DER.
pub(crate) fn classify_spki_der(der: &[u8]) -> Result<KeyInfo, String> {
    let (_, spki) = SubjectPublicKeyInfo::from_der(der).map_err(|e| e.to_string())?;
    Ok(classify_spki(&spki))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_and_tlv() {
        assert_eq!(int_bits(&[0, 0x80, 0]), 16);
        assert_eq!(int_bits(&[0x01]), 1);
        assert_eq!(int_bits(&[]), 0);
        let (t, v, r) = tlv(&[0x02, 0x01, 0x05, 0xff]).unwrap();
        assert_eq!((t, v, r), (0x02, &[5u8][..], &[0xffu8][..]));
        assert!(tlv(&[0x30, 0x85, 0, 0, 0, 0, 0]).is_none());
        assert!(tlv(&[0x30, 0x05, 1]).is_none());
    }

    #[test]
    fn truncated_ssh_blobs_are_errors() {
        assert!(classify_ssh_blob(&[0, 0, 0, 7, b's']).is_err());
        let mut blob = vec![0, 0, 0, 7];
        blob.extend_from_slice(b"ssh-rsa");
        assert!(classify_ssh_blob(&blob).is_err());
    }
}
