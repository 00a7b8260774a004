//! Pictures (issue 28): an event's poster and a product's image. An upload is judged by its
//! content (JPEG, PNG or WebP by their signatures, never by a name or a declared type), its
//! weight, and its dimensions read from its header before anything is decoded (a small file
//! that would decode to a huge picture is refused first); then it is decoded, turned upright
//! (EXIF orientation), laid on white where it is transparent, and made into the sizes the
//! pages use ([`Purpose::variants`]) as JPEG, which every browser and krilla's PDFs take as
//! they are. That work runs on the blocking pool, two uploads at a time.

use crate::App;
use crate::access::{managed_event, managed_product};
use crate::error::{AppError, AppResult};
use bilheteria_domain::account::User;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::{Event, Product};
use bilheteria_domain::ids::{EventId, ProductId};
use bilheteria_domain::images::{
    Fit, ImageHash, ImageRefusal, ImageVariant, MAX_IMAGE_BYTES, MAX_PIXELS, MAX_SIDE, NewImage,
    Purpose, Variant,
};
use bilheteria_domain::organization::Capability;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;
use tokio::sync::Semaphore;

/// JPEG quality of every size: small files, no visible blocks on a poster.
const JPEG_QUALITY: u8 = 82;
/// A picture larger than this on its longest side is first brought down to it with a quick
/// filter; each size is then made from that with a good one.
const WORKING_SIDE: u32 = 2_400;

/// Uploads decoded at once: each may take a few hundred megabytes while it is worked on.
static WORK: Semaphore = Semaphore::const_new(2);

/// Makes `upload` into the sizes of `purpose`, off the async runtime.
pub async fn prepare(purpose: Purpose, upload: Vec<u8>) -> AppResult<NewImage> {
    // Refused before waiting for a turn: nothing of it is read.
    if upload.len() > MAX_IMAGE_BYTES {
        return Err(AppError::Image(ImageRefusal::TooLarge {
            max_bytes: MAX_IMAGE_BYTES,
        }));
    }
    let _turn = WORK.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || make_variants(purpose, &upload))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::Image)
}

/// The format of `upload` by its signature, if it is one taken.
fn format_of(upload: &[u8]) -> Result<ImageFormat, ImageRefusal> {
    let format = image::guess_format(upload).map_err(|_| ImageRefusal::NotAnImage)?;
    match format {
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP => Ok(format),
        other => Err(ImageRefusal::UnsupportedFormat {
            found: other.extensions_str().first().map(|e| (*e).to_owned()),
        }),
    }
}

/// The pure part of [`prepare`]: checks, decodes and makes every size.
pub fn make_variants(purpose: Purpose, upload: &[u8]) -> Result<NewImage, ImageRefusal> {
    if upload.len() > MAX_IMAGE_BYTES {
        return Err(ImageRefusal::TooLarge {
            max_bytes: MAX_IMAGE_BYTES,
        });
    }
    let format = format_of(upload)?;
    // The header alone: the dimensions are judged before a pixel is decoded.
    let (width, height) = ImageReader::with_format(Cursor::new(upload), format)
        .into_dimensions()
        .map_err(|_| ImageRefusal::NotAnImage)?;
    ImageRefusal::check_dimensions(width, height)?;
    let mut reader = ImageReader::with_format(Cursor::new(upload), format);
    // And the decoder held to them, whatever the header said.
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|_| ImageRefusal::NotAnImage)?;
    let orientation = decoder.orientation().ok();
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(|_| ImageRefusal::NotAnImage)?;
    if let Some(orientation) = orientation {
        decoded.apply_orientation(orientation);
    }
    if decoded.width().max(decoded.height()) > WORKING_SIDE {
        decoded = decoded.thumbnail(WORKING_SIDE, WORKING_SIDE);
    }
    let flat = DynamicImage::ImageRgb8(on_white(&decoded));
    let variants = purpose
        .variants()
        .iter()
        .map(|&variant| sized(&flat, variant))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NewImage {
        hash: ImageHash::of(purpose, upload),
        variants,
    })
}

/// The picture laid on white: JPEG has no transparency.
fn on_white(picture: &DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.to_rgb8();
    }
    let rgba = picture.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| -> u8 {
            let (c, a) = (u32::from(c), u32::from(a));
            // c·a + 255·(255 − a), over 255, rounded: always within a byte.
            u8::try_from((c * a + 255 * (255 - a) + 127) / 255).unwrap_or(u8::MAX)
        };
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

/// One size of the picture, as JPEG.
fn sized(picture: &DynamicImage, variant: Variant) -> Result<ImageVariant, ImageRefusal> {
    let made = match variant.fit() {
        Fit::Fill { width, height } => picture.resize_to_fill(width, height, FilterType::Triangle),
        Fit::Within { width, height } => {
            if picture.width() <= width && picture.height() <= height {
                picture.clone()
            } else {
                picture.resize(width, height, FilterType::Triangle)
            }
        }
    };
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY);
    made.write_with_encoder(encoder)
        .map_err(|_| ImageRefusal::NotAnImage)?;
    Ok(ImageVariant {
        variant,
        content_type: "image/jpeg".to_owned(),
        width: made.width(),
        height: made.height(),
        bytes,
    })
}

/// `PUT /events/{id}/poster`: the event's new poster, for whoever may edit it. Who may is
/// decided before the upload is looked at.
pub async fn set_event_poster(
    app: &App,
    user: &User,
    id: EventId,
    upload: Vec<u8>,
    audit: &AuditContext,
) -> AppResult<Event> {
    managed_event(app, id, user, Capability::EditCatalog).await?;
    let image = prepare(Purpose::Poster, upload).await?;
    Ok(app
        .store
        .set_event_poster(id, Some(image), app.clock.now(), audit)
        .await?)
}

/// `DELETE /events/{id}/poster`: the event without a poster (none before is no mistake).
pub async fn remove_event_poster(
    app: &App,
    user: &User,
    id: EventId,
    audit: &AuditContext,
) -> AppResult<Event> {
    let event = managed_event(app, id, user, Capability::EditCatalog).await?;
    if event.poster.is_none() {
        return Ok(event);
    }
    Ok(app
        .store
        .set_event_poster(id, None, app.clock.now(), audit)
        .await?)
}

/// `PUT /products/{id}/image`.
pub async fn set_product_image(
    app: &App,
    user: &User,
    id: ProductId,
    upload: Vec<u8>,
    audit: &AuditContext,
) -> AppResult<Product> {
    managed_product(app, id, user).await?;
    let image = prepare(Purpose::Product, upload).await?;
    Ok(app
        .store
        .set_product_image(id, Some(image), app.clock.now(), audit)
        .await?)
}

/// `DELETE /products/{id}/image`.
pub async fn remove_product_image(
    app: &App,
    user: &User,
    id: ProductId,
    audit: &AuditContext,
) -> AppResult<Product> {
    let product = managed_product(app, id, user).await?;
    if product.image.is_none() {
        return Ok(product);
    }
    Ok(app
        .store
        .set_product_image(id, None, app.clock.now(), audit)
        .await?)
}

/// `GET /images/{hash}/{variant}.jpg`: one size of a picture. Its name is a hash of the
/// picture, unguessable, so whoever has its URL may see it (as a page that shows it does).
pub async fn variant(app: &App, hash: &str, file: &str) -> AppResult<(ImageHash, ImageVariant)> {
    let hash = ImageHash::parse(hash).ok_or(AppError::NotFound("image"))?;
    let variant = file
        .strip_suffix(".jpg")
        .and_then(Variant::parse)
        .ok_or(AppError::NotFound("image"))?;
    let found = app
        .store
        .image_variant(&hash, variant)
        .await?
        .ok_or(AppError::NotFound("image"))?;
    Ok((hash, found))
}

/// The printed size of an event's poster (JPEG), if it has one.
pub async fn poster_for_print(app: &App, event: &Event) -> AppResult<Option<Vec<u8>>> {
    let Some(hash) = &event.poster else {
        return Ok(None);
    };
    Ok(app
        .store
        .image_variant(hash, Variant::Print)
        .await?
        .map(|found| found.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn gradient(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgba8(image::RgbaImage::from_fn(width, height, |x, y| {
            image::Rgba([
                (x % 256) as u8,
                (y % 256) as u8,
                90,
                if x < 10 { 0 } else { 255 },
            ])
        }))
    }

    #[test]
    fn a_png_becomes_each_size_of_a_poster_as_jpeg() {
        let made = make_variants(
            Purpose::Poster,
            &encoded(&gradient(1600, 900), ImageFormat::Png),
        )
        .unwrap();
        let sizes: Vec<_> = made
            .variants
            .iter()
            .map(|v| (v.variant, v.width, v.height))
            .collect();
        assert_eq!(
            sizes,
            [
                (Variant::Card, 640, 360),
                (Variant::Page, 1200, 675),
                (Variant::Print, 900, 506)
            ]
        );
        for v in &made.variants {
            assert_eq!(
                image::guess_format(&v.bytes).unwrap(),
                ImageFormat::Jpeg,
                "{v:?}"
            );
        }
    }

    #[test]
    fn a_small_picture_is_not_made_larger_where_it_is_whole() {
        let made = make_variants(
            Purpose::Poster,
            &encoded(&gradient(400, 300), ImageFormat::Png),
        )
        .unwrap();
        let page = made
            .variants
            .iter()
            .find(|v| v.variant == Variant::Page)
            .unwrap();
        assert_eq!((page.width, page.height), (400, 300));
    }

    #[test]
    fn what_is_not_a_taken_picture_is_named() {
        assert_eq!(
            make_variants(Purpose::Poster, b"hello, not a picture"),
            Err(ImageRefusal::NotAnImage)
        );
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert!(matches!(
            make_variants(Purpose::Poster, gif),
            Err(ImageRefusal::UnsupportedFormat { .. })
        ));
        // A PNG's signature with nothing after it.
        assert_eq!(
            make_variants(Purpose::Poster, b"\x89PNG\r\n\x1a\n"),
            Err(ImageRefusal::NotAnImage)
        );
        assert!(matches!(
            make_variants(Purpose::Poster, &vec![0u8; MAX_IMAGE_BYTES + 1]),
            Err(ImageRefusal::TooLarge { .. })
        ));
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // 8000 × 8000 of one colour: a few kilobytes of PNG, 256 MB decoded.
        let bomb = encoded(
            &DynamicImage::ImageLuma8(image::GrayImage::new(MAX_SIDE, MAX_SIDE)),
            ImageFormat::Png,
        );
        assert!(bomb.len() < MAX_IMAGE_BYTES);
        assert_eq!(
            make_variants(Purpose::Poster, &bomb),
            Err(ImageRefusal::Dimensions {
                width: MAX_SIDE,
                height: MAX_SIDE
            })
        );
    }
}
