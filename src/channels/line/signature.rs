//! Webhook signatures: `X-Line-Signature` is the base64 of the HMAC-SHA256
//! of the raw request body, keyed with the channel secret.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(channel_secret: &str, body: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(channel_secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(body);
    mac
}

/// The signature LINE sends with `body`.
pub fn sign(channel_secret: &str, body: &[u8]) -> String {
    STANDARD.encode(mac(channel_secret, body).finalize().into_bytes())
}

/// Whether `signature` (the header's value) signs `body`. The comparison
/// takes the same time whichever byte differs.
pub fn verify(channel_secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(claimed) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    mac(channel_secret, body).verify_slice(&claimed).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_its_body_and_secret() {
        let body = br#"{"destination":"U1","events":[]}"#;
        let signature = sign("secret", body);
        assert!(verify("secret", body, &signature));
        assert!(!verify("other", body, &signature));
        assert!(!verify("secret", b"{}", &signature));
        assert!(!verify("secret", body, "not base64!"));
        assert!(!verify("secret", body, ""));
    }

    #[test]
    fn matches_a_known_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe".
        let signature = sign("Jefe", b"what do ya want for nothing?");
        let hex: String = STANDARD
            .decode(signature)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
