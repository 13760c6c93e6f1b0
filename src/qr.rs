//! The QR code of a virtual MFA device's `otpauth://` URI, for a phone's authenticator app to
//! scan. It is drawn in the terminal with Unicode half blocks (two rows of modules per line),
//! in black on white set explicitly, so it scans from a dark terminal and over SSH, with no
//! ImageMagick. `--qr-file` writes SVG or PNG. The URI holds the device's secret seed: callers
//! show it only on the terminal or in the file the user named.

use crate::error::{Result, fail};
use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the code, as the QR standard asks.
const QUIET: usize = 4;
/// Pixels per module in a PNG.
const PNG_SCALE: usize = 8;

/// `otpauth://totp/ISSUER:ACCOUNT?secret=SEED&issuer=ISSUER`, as authenticator apps read it.
pub fn otpauth_uri(issuer: &str, account: &str, seed: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}",
        percent_encode(account),
        percent_encode(seed)
    )
}

/// The label keeps its `@` (`alice@123456789012`), as authenticator apps show it.
fn percent_encode(text: &str) -> String {
    crate::aws::wire::percent_encode(text, b"@")
}

/// The code as rows of dark (true) and light modules, quiet zone included.
pub struct Matrix {
    size: usize,
    dark: Vec<bool>,
}

impl Matrix {
    pub fn encode(text: &str) -> Result<Matrix> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
            .map_err(|e| fail!(Failure, "cannot draw the QR code: {e}"))?;
        let inner = code.width();
        let size = inner + 2 * QUIET;
        let mut dark = vec![false; size * size];
        for (i, color) in code.to_colors().into_iter().enumerate() {
            let (x, y) = (i % inner + QUIET, i / inner + QUIET);
            dark[y * size + x] = color == Color::Dark;
        }
        Ok(Matrix { size, dark })
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        y < self.size && self.dark[y * self.size + x]
    }

    /// For a terminal: black on white whatever the theme, two module rows per line.
    pub fn terminal(&self) -> String {
        let mut out = String::new();
        for y in (0..self.size).step_by(2) {
            out.push_str("\x1b[30;107m");
            for x in 0..self.size {
                out.push(match (self.is_dark(x, y), self.is_dark(x, y + 1)) {
                    (false, false) => ' ',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (true, true) => '█',
                });
            }
            out.push_str("\x1b[0m\n");
        }
        out
    }

    pub fn svg(&self) -> String {
        let n = self.size;
        let mut path = String::new();
        for y in 0..n {
            for x in 0..n {
                if self.is_dark(x, y) {
                    path.push_str(&format!("M{x} {y}h1v1h-1z"));
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {n} {n}\" width=\"{w}\" \
             height=\"{w}\" shape-rendering=\"crispEdges\">\n<rect width=\"{n}\" height=\"{n}\" \
             fill=\"#fff\"/>\n<path fill=\"#000\" d=\"{path}\"/>\n</svg>\n",
            w = n * PNG_SCALE
        )
    }

    /// A 1-bit grayscale PNG; its zlib stream uses stored blocks, which needs no compressor.
    pub fn png(&self) -> Vec<u8> {
        let side = self.size * PNG_SCALE;
        let row_bytes = side.div_ceil(8);
        let mut raw = Vec::with_capacity(side * (row_bytes + 1));
        for py in 0..side {
            raw.push(0); // filter: none
            let mut row = vec![0u8; row_bytes];
            for px in 0..side {
                if !self.is_dark(px / PNG_SCALE, py / PNG_SCALE) {
                    row[px / 8] |= 0x80 >> (px % 8);
                }
            }
            raw.extend_from_slice(&row);
        }
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&(side as u32).to_be_bytes());
        ihdr.extend_from_slice(&(side as u32).to_be_bytes());
        ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // depth 1, grayscale, no interlace
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(&mut png, b"IDAT", &zlib_stored(&raw));
        chunk(&mut png, b"IEND", &[]);
        png
    }
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    // Even an empty stream needs one (final) block.
    let blocks: Vec<&[u8]> = match data.len() {
        0 => vec![data],
        _ => data.chunks(0xFFFF).collect(),
    };
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encodes_what_apps_need_encoded() {
        assert_eq!(
            otpauth_uri("Amazon Web Services", "alice@123456789012", "ABC=="),
            "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=ABC%3D%3D\
             &issuer=Amazon%20Web%20Services"
        );
    }

    #[test]
    fn crc_and_zlib_match_known_values() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(
            zlib_stored(b""),
            [0x78, 0x01, 1, 0, 0, 0xFF, 0xFF, 0, 0, 0, 1]
        );
    }
}
