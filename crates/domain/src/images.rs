//! Pictures: an event's poster and a product's image. What an upload may be (its size, its
//! dimensions), the sizes the pages use (`Variant`), the content hash that names a picture, and
//! the paths it is served at. Decoding and resizing are the application's (`app::images`).
//!
//! A picture is named by a hash of what was uploaded, so its URLs change when it changes and
//! may be cached for good.

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The most an upload may weigh: 5 MiB, a phone photo's size.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// The longest side an upload may have, read from its header before decoding.
pub const MAX_SIDE: u32 = 8_000;
/// The shortest side worth showing.
pub const MIN_SIDE: u32 = 32;
/// The most pixels an upload may decode to (40 megapixels: 160 MB as RGBA), so that a small
/// file that would decode to a huge picture (a decompression bomb) is refused first.
pub const MAX_PIXELS: u64 = 40_000_000;

/// Why an upload is not taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageRefusal {
    /// Not a picture in any format known (text, a truncated file, nothing at all).
    NotAnImage,
    /// A picture, but not JPEG, PNG or WebP: `found` names its format when it is known.
    UnsupportedFormat { found: Option<String> },
    /// More than [`MAX_IMAGE_BYTES`].
    TooLarge { max_bytes: usize },
    /// Its sides or pixels are out of [`MIN_SIDE`]..[`MAX_SIDE`] or past [`MAX_PIXELS`].
    Dimensions { width: u32, height: u32 },
}

impl ImageRefusal {
    /// Whether a picture of `width` × `height` may be decoded.
    pub fn check_dimensions(width: u32, height: u32) -> Result<(), ImageRefusal> {
        let pixels = u64::from(width) * u64::from(height);
        if width < MIN_SIDE
            || height < MIN_SIDE
            || width > MAX_SIDE
            || height > MAX_SIDE
            || pixels > MAX_PIXELS
        {
            Err(ImageRefusal::Dimensions { width, height })
        } else {
            Ok(())
        }
    }
}

/// What a picture is of: each kind is made in the sizes its pages use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Poster,
    Product,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Poster => "poster",
            Purpose::Product => "product",
        }
    }

    /// The sizes made of an upload of this purpose.
    pub fn variants(self) -> &'static [Variant] {
        match self {
            Purpose::Poster => &[Variant::Card, Variant::Page, Variant::Print],
            Purpose::Product => &[Variant::Thumb],
        }
    }
}

/// How a size is cut from the upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Exactly `width` × `height`, the middle of the picture kept (a card's frame).
    Fill { width: u32, height: u32 },
    /// At most `width` × `height`, the whole picture kept; never made larger.
    Within { width: u32, height: u32 },
}

/// One size of a picture, as the pages use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The home page's event card: 16:9.
    Card,
    /// The event page: the whole poster.
    Page,
    /// The PDF ticket.
    Print,
    /// A product in the buyer's offer: square.
    Thumb,
}

impl Variant {
    pub const ALL: [Variant; 4] = [Variant::Card, Variant::Page, Variant::Print, Variant::Thumb];

    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Card => "card",
            Variant::Page => "page",
            Variant::Print => "print",
            Variant::Thumb => "thumb",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == raw)
    }

    pub fn fit(self) -> Fit {
        match self {
            Variant::Card => Fit::Fill {
                width: 640,
                height: 360,
            },
            Variant::Page => Fit::Within {
                width: 1200,
                height: 1200,
            },
            Variant::Print => Fit::Within {
                width: 900,
                height: 900,
            },
            Variant::Thumb => Fit::Fill {
                width: 240,
                height: 240,
            },
        }
    }
}

/// The name of an uploaded picture: 128 bits of SHA-256 of what was uploaded and what it is
/// for, in lower-case hex. Its variants are served under it, for good.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageHash(String);

impl ImageHash {
    /// Bumped when the variants made of an upload change, so that their URLs change too.
    const VERSION: &'static str = "bilheteria-image-1";

    pub fn of(purpose: Purpose, upload: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(Self::VERSION.as_bytes());
        hasher.update([0]);
        hasher.update(purpose.as_str().as_bytes());
        hasher.update([0]);
        hasher.update(upload);
        let digest = hasher.finalize();
        ImageHash(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// A hash as it stands in a path or a row: 32 lower-case hex digits.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 32 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| ImageHash(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path this size is served at (JPEG, cached for good).
    pub fn url(&self, variant: Variant) -> String {
        format!("/images/{}/{}.jpg", self.0, variant.as_str())
    }
}

impl std::fmt::Display for ImageHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One size of a picture, made and stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageVariant {
    pub variant: Variant,
    /// `image/jpeg`.
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// An upload made into its sizes, named by its hash: what the store keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewImage {
    pub hash: ImageHash,
    pub variants: Vec<ImageVariant>,
}

/// An event's poster as the API sends it: the path of each size (JPEG; the path changes
/// when the poster does, so each may be cached for good).
#[derive(Serialize, utoipa::ToSchema)]
pub struct PosterUrls {
    /// 640 × 360, the middle of the poster: the home page's card.
    pub card: String,
    /// At most 1200 × 1200, the whole poster: the event page.
    pub page: String,
    /// At most 900 × 900: the printed ticket.
    pub print: String,
}

/// A product's image as the API sends it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProductImageUrls {
    /// 240 × 240, the middle of the image.
    pub thumb: String,
}

/// `Event::poster` on the wire.
pub fn serialize_poster<S: Serializer>(
    poster: &Option<ImageHash>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    poster
        .as_ref()
        .map(|hash| PosterUrls {
            card: hash.url(Variant::Card),
            page: hash.url(Variant::Page),
            print: hash.url(Variant::Print),
        })
        .serialize(serializer)
}

/// `Product::image` on the wire.
pub fn serialize_product_image<S: Serializer>(
    image: &Option<ImageHash>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    image
        .as_ref()
        .map(|hash| ProductImageUrls {
            thumb: hash.url(Variant::Thumb),
        })
        .serialize(serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_names_the_upload_and_its_purpose() {
        let a = ImageHash::of(Purpose::Poster, b"one");
        assert_eq!(a.as_str().len(), 32);
        assert_eq!(ImageHash::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a, ImageHash::of(Purpose::Poster, b"one"));
        assert_ne!(a, ImageHash::of(Purpose::Poster, b"two"));
        assert_ne!(a, ImageHash::of(Purpose::Product, b"one"));
        assert_eq!(a.url(Variant::Card), format!("/images/{a}/card.jpg"));
        assert_eq!(ImageHash::parse("ABC"), None);
        assert_eq!(ImageHash::parse(&"G".repeat(32)), None);
    }

    #[test]
    fn dimensions_are_bounded_by_side_and_by_pixels() {
        assert!(ImageRefusal::check_dimensions(1200, 800).is_ok());
        assert!(ImageRefusal::check_dimensions(MIN_SIDE - 1, 800).is_err());
        assert!(ImageRefusal::check_dimensions(MAX_SIDE + 1, 800).is_err());
        // 8000 × 8000 is within each side but 64 megapixels.
        assert!(ImageRefusal::check_dimensions(MAX_SIDE, MAX_SIDE).is_err());
        for variant in Variant::ALL {
            assert_eq!(Variant::parse(variant.as_str()), Some(variant));
        }
    }
}
