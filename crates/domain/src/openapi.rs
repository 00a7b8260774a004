//! Schemas of request fields that the derive cannot say from a Rust type alone: closed sets of
//! strings read into a `String`, and lists whose items have bounds of their own. Fields name
//! them with `#[schema(schema_with = …)]` (or `#[param(schema_with = …)]`), so that the served
//! OpenAPI document states the rule each field's `parse` enforces.

use crate::catalog::{Category, MAX_TAGS};
use crate::sales::MAX_UNITS_PER_REQUEST;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};

/// A tag: 1 to 40 letters, digits or dashes (read in lower case). Written with the letters of
/// Portuguese and English only, so that every regular-expression engine reads it; the server
/// also takes the letters of other scripts.
pub const TAG_PATTERN: &str = "^[0-9A-Za-zÀ-ÖØ-öø-ÿ-]{1,40}$";

fn string_of(values: &[&str], description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
}

fn nullable(kind: Type, null: bool) -> SchemaType {
    if null {
        SchemaType::from_iter([kind, Type::Null])
    } else {
        SchemaType::Type(kind)
    }
}

fn tags_of(null: bool) -> Schema {
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array, null))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(TAG_PATTERN)),
        )
        .max_items(Some(MAX_TAGS))
        .description(Some(
            "At most 20 tags, each 1 to 40 letters, digits or dashes (kept in lower case, duplicates dropped).",
        ))
        .into()
}

/// `tags` of a create body.
pub fn tags() -> RefOr<Schema> {
    tags_of(false).into()
}

/// `tags` of a patch body (absent or null: unchanged).
pub fn tags_patch() -> RefOr<Schema> {
    tags_of(true).into()
}

/// Distinct seat ids, 1 to `MAX_UNITS_PER_REQUEST` of them (null or absent: none).
pub fn seat_ids() -> RefOr<Schema> {
    let schema: Schema = ArrayBuilder::new()
        .schema_type(nullable(Type::Array, true))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        )
        .min_items(Some(1))
        .max_items(Some(MAX_UNITS_PER_REQUEST as usize))
        .unique_items(true)
        .description(Some(
            "The seats to hold in a seated section: 1 to 50, each once. Give either `seat_ids` or `section_id` with `quantity`.",
        ))
        .into();
    schema.into()
}

/// `payment.method`.
pub fn payment_method() -> RefOr<Schema> {
    Schema::from(string_of(
        &["card", "pix"],
        "`card` (with a `token`) or `pix` (without one).",
    ))
    .into()
}

/// A language the box office speaks, as a request names it.
pub fn language(null: bool) -> ObjectBuilder {
    string_of(
        &["pt-BR", "en"],
        "`pt-BR` or `en` (another tag of either language, such as `pt` or `en-GB`, is read as it).",
    )
    .schema_type(nullable(Type::String, null))
}

/// `language` of `PATCH /me`.
pub fn language_required() -> RefOr<Schema> {
    Schema::from(language(false)).into()
}

/// `language` of a sign-up (absent or null: from `Accept-Language`).
pub fn language_optional() -> RefOr<Schema> {
    Schema::from(language(true).enum_values(Some([
        serde_json::Value::from("pt-BR"),
        serde_json::Value::from("en"),
        serde_json::Value::Null,
    ])))
    .into()
}

/// `category` of a filter: one of the box office's categories (by its code; either language's
/// label is read as it too, accents and case ignored).
pub fn category_filter() -> RefOr<Schema> {
    let codes: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    Schema::from(string_of(
        &codes,
        "A category's code (its label in Portuguese or English is read as it too, accents and case ignored).",
    ))
    .into()
}

/// `status` of a filter of an organization's events.
pub fn event_status_filter() -> RefOr<Schema> {
    Schema::from(string_of(
        &["draft", "published", "cancelled"],
        "An event's status.",
    ))
    .into()
}

/// `status` of a filter of a session's orders.
pub fn order_status_filter() -> RefOr<Schema> {
    Schema::from(string_of(
        crate::back_office::ORDER_STATUSES,
        "An order's status.",
    ))
    .into()
}

const EVENT_STATUS_SET: &str =
    "`draft` or `published`; an event is cancelled by `POST /events/{id}/cancel`, never by a body.";

/// `status` of an event's create body.
pub fn event_status_input() -> RefOr<Schema> {
    Schema::from(string_of(&["draft", "published"], EVENT_STATUS_SET)).into()
}

/// `status` of an event's patch (absent or null: unchanged).
pub fn event_status_patch() -> RefOr<Schema> {
    Schema::from(
        string_of(&["draft", "published"], EVENT_STATUS_SET)
            .schema_type(nullable(Type::String, true))
            .enum_values(Some([
                serde_json::Value::from("draft"),
                serde_json::Value::from("published"),
                serde_json::Value::Null,
            ])),
    )
    .into()
}

/// `role` of a member of an organization.
pub fn member_role() -> RefOr<Schema> {
    let names: Vec<&str> = crate::organization::MemberRole::ALL
        .iter()
        .map(|r| r.as_str())
        .collect();
    Schema::from(string_of(
        &names,
        "`owner` (everything), `manager` (everything but the team), `finance` (sales, exports, refunds), `checkin` (the door only) or `viewer` (read-only).",
    ))
    .into()
}

/// `roles` of `PUT /admin/users/{id}/roles`: the complete set, by name.
pub fn roles() -> RefOr<Schema> {
    let names: Vec<&str> = crate::account::Role::ALL
        .iter()
        .map(|r| r.as_str())
        .collect();
    let schema: Schema = ArrayBuilder::new()
        .items(string_of(&names, "A role."))
        .description(Some(
            "The complete set of roles; `customer` is always kept.",
        ))
        .into();
    schema.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::parse_tags;

    #[test]
    fn every_character_of_the_tag_pattern_makes_a_tag() {
        // The ranges of `TAG_PATTERN`'s class, one by one.
        assert_eq!(TAG_PATTERN, "^[0-9A-Za-zÀ-ÖØ-öø-ÿ-]{1,40}$");
        let class = ('0'..='9')
            .chain('A'..='Z')
            .chain('a'..='z')
            .chain('À'..='Ö')
            .chain('Ø'..='ö')
            .chain('ø'..='ÿ')
            .chain(['-']);
        for c in class {
            assert!(parse_tags(&[c.to_string().repeat(40)]).is_ok(), "{c}");
        }
        for refused in ['_', ' ', '!', '×', '÷'] {
            assert!(parse_tags(&[refused.to_string()]).is_err(), "{refused}");
        }
    }
}
