//! A property test driven by the served OpenAPI document, on both backends: for every
//! operation, requests are generated from its own schemas with a fixed seed, a bounded number of
//! each kind. Those the schema allows (checked by a JSON Schema validator) must never get a
//! server error, must get only answers the document lists, a success valid by its documented
//! schema, and no `validation_failed` naming a field whose value the schema allowed (that would
//! be a rule the document does not say). Those made to break the schema (a wrong type, past a
//! bound, outside an enum or a pattern, an unknown or missing field, a malformed path id) must
//! get a documented 4xx problem with a stable `code`: never a success, never a server error.

use crate::openapi_schema::{DocSchemas, body_pointer, operations, pointer_token};
use bilheteria_domain::account::Role;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{TestApp, on_sale};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

on_both_backends!(generated_requests_get_the_answers_the_document_promises);

const SEED: u64 = 0x6269_6c68_6574_6573;
/// Requests per operation that the schema allows, and that break it.
const VALID_CASES: usize = 12;
const INVALID_CASES: usize = 16;

/// Rules between fields, or against the server's state, that a JSON Schema cannot say: a
/// `validation_failed` naming these fields in a request the schema allows is expected.
const RULES_BEYOND_THE_SCHEMA: &[(&str, &str)] = &[
    (
        "cursor",
        "an opaque value: only a `next_cursor` the server gave",
    ),
    (
        "since",
        "an opaque value: only a `next_since` the server gave",
    ),
    ("current_password", "the account's own password"),
    ("venue_id", "a venue the caller manages"),
    ("to_email", "someone else's address"),
    ("time_zone", "a name the time zone database knows"),
    ("starts_at", "in the future, by the server's clock"),
    ("sales_start_at", "before `starts_at`"),
    ("half_price_release_at", "before `starts_at`"),
    (
        "scans[].scanned_at",
        "not in the future, by the server's clock",
    ),
    ("sections", "at most 150,000 seats in all"),
    ("sections[]", "either `rows` or `capacity`"),
    ("sections[].name", "unique in a venue"),
    ("sections[].rows[].label", "unique in a section"),
    ("categories[].name", "unique in a session"),
    ("categories[].id", "a category of the session"),
    (
        "categories[].section_ids[]",
        "sections of the venue, each in one category",
    ),
    (
        "body",
        "a hold gives either `seat_ids` or `section_id` with `quantity`",
    ),
    (
        "half_price_seat_ids",
        "seats of `seat_ids`, in a seated hold",
    ),
    (
        "half_price_quantity",
        "at most `quantity`, in a standing hold",
    ),
    ("eligibility", "only with half-price places"),
    ("hold_id", "either `hold_id` or `listing_id`"),
    ("products", "none with a resale listing"),
    ("products[].product_id", "each product once"),
    ("event_ids[]", "events the caller manages"),
    ("document", "a CPF or CNPJ whose check digits are right"),
    (
        "organization_id",
        "an organization the caller may add to; required when they belong to several",
    ),
    ("payment.token", "required by a card, refused with a Pix"),
    ("payment.installments", "a Pix is paid at once"),
];

/// A field path of an error with its indices dropped: `sections[2].name` → `sections[].name`.
fn field_shape(field: &str) -> String {
    let mut shape = String::with_capacity(field.len());
    let mut in_index = false;
    for c in field.chars() {
        match c {
            '[' => {
                in_index = true;
                shape.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            c => shape.push(c),
        }
    }
    shape
}

/// FNV-1a: a stable seed per operation, so that adding one leaves the others' requests alone.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

struct Generator<'a> {
    components: &'a Value,
    rng: StdRng,
    /// Ids of real objects, so that generated requests get past lookups.
    ids: &'a [String],
    /// Whether an integer may be written with a zero fraction (`402.0`): in a JSON body, not
    /// in a query string.
    integral_floats: bool,
}

impl<'a> Generator<'a> {
    fn resolve<'s>(&self, schema: &'s Value) -> &'s Value
    where
        'a: 's,
    {
        match schema["$ref"].as_str() {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap_or_default();
                self.resolve(&self.components["schemas"][name])
            }
            None => match &schema["allOf"] {
                Value::Array(all) if all.len() == 1 => self.resolve(&all[0]),
                _ => schema,
            },
        }
    }

    fn types(schema: &Value) -> Vec<&str> {
        match &schema["type"] {
            Value::String(kind) => vec![kind.as_str()],
            Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
            _ if schema["properties"].is_object() => vec!["object"],
            _ => Vec::new(),
        }
    }

    /// The branches of a `oneOf`/`anyOf`, each resolved.
    fn branches<'s>(&self, schema: &'s Value) -> Option<Vec<&'s Value>>
    where
        'a: 's,
    {
        ["oneOf", "anyOf"].iter().find_map(|key| {
            schema[*key]
                .as_array()
                .map(|all| all.iter().map(|s| self.resolve(s)).collect())
        })
    }

    fn properties<'s>(&self, schema: &'s Value) -> Vec<(&'s str, &'s Value)>
    where
        'a: 's,
    {
        let mut all: Vec<(&str, &Value)> = schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, s)| (name.as_str(), s))
            .collect();
        for part in schema["allOf"].as_array().into_iter().flatten() {
            all.extend(self.properties(self.resolve(part)));
        }
        all
    }

    fn required<'s>(&self, schema: &'s Value) -> Vec<&'s str>
    where
        'a: 's,
    {
        let mut all: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for part in schema["allOf"].as_array().into_iter().flatten() {
            all.extend(self.required(self.resolve(part)));
        }
        all
    }

    /// A value `schema` allows.
    fn valid<'s>(&mut self, schema: &'s Value, depth: usize) -> Value
    where
        'a: 's,
    {
        let schema = self.resolve(schema);
        if let Some(constant) = schema.get("const") {
            return constant.clone();
        }
        if let Some(values) = schema["enum"].as_array().filter(|v| !v.is_empty()) {
            return values.choose(&mut self.rng).cloned().unwrap_or(Value::Null);
        }
        if let Some(branches) = self.branches(schema) {
            let concrete: Vec<&Value> = branches
                .iter()
                .copied()
                .filter(|b| Self::types(b) != ["null"])
                .collect();
            let pick = if concrete.is_empty() || self.rng.random_bool(0.1) {
                branches.choose(&mut self.rng).copied()
            } else {
                concrete.choose(&mut self.rng).copied()
            };
            return pick.map_or(Value::Null, |branch| self.valid(branch, depth + 1));
        }
        let types = Self::types(schema);
        let kind = match types
            .iter()
            .copied()
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
        {
            concrete if concrete.is_empty() && types.contains(&"null") => "null",
            concrete if concrete.is_empty() => {
                if schema["allOf"].is_array() {
                    "object"
                } else {
                    return json!("x");
                }
            }
            _ if types.contains(&"null") && self.rng.random_bool(0.1) => "null",
            concrete => concrete.choose(&mut self.rng).copied().unwrap_or("null"),
        };
        match kind {
            "object" => {
                let required = self.required(schema);
                let mut object = Map::new();
                for (name, property) in self.properties(schema) {
                    let wanted =
                        required.contains(&name) || (depth < 4 && self.rng.random_bool(0.5));
                    if wanted {
                        let value = self.valid(property, depth + 1);
                        object.insert(name.to_owned(), value);
                    }
                }
                Value::Object(object)
            }
            "array" => {
                let min = schema["minItems"].as_u64().unwrap_or(0);
                let max = schema["maxItems"].as_u64().unwrap_or(min + 3).min(min + 3);
                let count = if depth > 5 {
                    min
                } else {
                    self.rng.random_range(min..=max.max(min))
                };
                let mut items = Vec::new();
                for _ in 0..count {
                    let item = self.valid(&schema["items"], depth + 1);
                    if schema["uniqueItems"] == true && items.contains(&item) {
                        continue;
                    }
                    items.push(item);
                }
                Value::Array(items)
            }
            "string" => json!(self.string(schema)),
            "integer" => {
                let number = self.integer(schema);
                // A number with a zero fraction is an integer too (JSON Schema 2020-12).
                if self.integral_floats
                    && self.rng.random_bool(0.15)
                    && number.unsigned_abs() < 1 << 50
                {
                    json!(number as f64)
                } else {
                    json!(number)
                }
            }
            "number" => {
                let (min, max) = (
                    schema["minimum"].as_f64().unwrap_or(-1000.0),
                    schema["maximum"].as_f64().unwrap_or(1000.0),
                );
                json!(self.rng.random_range(min..=max.max(min)))
            }
            "boolean" => json!(self.rng.random_bool(0.5)),
            _ => Value::Null,
        }
    }

    fn integer(&mut self, schema: &Value) -> i64 {
        let min = schema["minimum"]
            .as_i64()
            .or(schema["exclusiveMinimum"].as_i64().map(|m| m + 1));
        let max = schema["maximum"]
            .as_i64()
            .or(schema["exclusiveMaximum"].as_i64().map(|m| m - 1));
        match (min, max) {
            (Some(min), Some(max)) => match self.rng.random_range(0..4) {
                0 => min,
                1 => max,
                _ => self.rng.random_range(min..=max.max(min)),
            },
            // Unbounded: small and large values of both signs, to find a bound not documented.
            (min, max) => {
                let raw = match self.rng.random_range(0..4) {
                    0 => self.rng.random_range(-3..=3),
                    1 => self.rng.random_range(0..=1_000),
                    2 => self.rng.random_range(-1_000_000_000..=1_000_000_000),
                    _ => self.rng.random_range(1..=100),
                };
                raw.clamp(min.unwrap_or(i64::MIN), max.unwrap_or(i64::MAX))
            }
        }
    }

    fn string(&mut self, schema: &Value) -> String {
        let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
        let max = schema["maxLength"].as_u64().map(|m| m as usize);
        match schema["format"].as_str() {
            Some("uuid") => {
                if !self.ids.is_empty() && self.rng.random_bool(0.7) {
                    return self.ids.choose(&mut self.rng).cloned().unwrap_or_default();
                }
                return uuid::Builder::from_random_bytes(self.rng.random())
                    .into_uuid()
                    .to_string();
            }
            Some("date-time") => {
                let at = time::macros::datetime!(2030-01-01 0:00 UTC)
                    + time::Duration::seconds(self.rng.random_range(0..=86_400 * 365));
                return at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
            }
            Some("email") => return format!("fuzz-{}@example.com", self.rng.random::<u32>()),
            _ => {}
        }
        if let Some(pattern) = schema["pattern"].as_str() {
            if let Some((alphabet, low, high)) = simple_pattern(pattern) {
                let len = self
                    .rng
                    .random_range(low.max(min)..=high.min(max.unwrap_or(high)));
                return (0..len)
                    .map(|_| *alphabet.choose(&mut self.rng).unwrap_or(&'a'))
                    .collect();
            }
            if let Some(example) = schema["example"]
                .as_str()
                .or(schema["examples"][0].as_str())
            {
                return example.to_owned();
            }
        }
        const CHARS: &[char] = &[
            'a', 'b', 'e', 'o', 'r', 's', 'z', 'A', 'M', 'Z', '0', '7', '9', 'é', 'ç', 'ã', '-',
            ' ', '_',
        ];
        let high = max.unwrap_or(min + 24).min(min + 40);
        let len = self.rng.random_range(min..=high.max(min));
        let mut text: String = (0..len)
            .map(|_| *CHARS.choose(&mut self.rng).unwrap_or(&'a'))
            .collect();
        // No blank ends: text fields are trimmed before their length is counted.
        if text.starts_with(' ') || text.ends_with(' ') {
            text = text.replace(' ', "x");
        }
        text
    }

    /// Every place in `value` (made by `valid` from `schema`) that a mutation may break, with
    /// the schema that governs it.
    fn sites<'s>(
        &self,
        schema: &'s Value,
        value: &Value,
        pointer: String,
        out: &mut Vec<(String, &'s Value)>,
    ) where
        'a: 's,
    {
        let schema = self.resolve(schema);
        let schema = match self.branches(schema) {
            Some(branches) if !value.is_null() => {
                match branches.into_iter().find(|b| Self::types(b) != ["null"]) {
                    Some(branch) => branch,
                    None => return,
                }
            }
            Some(_) => return,
            None => schema,
        };
        out.push((pointer.clone(), schema));
        match value {
            Value::Object(fields) => {
                for (name, property) in self.properties(schema) {
                    if let Some(inner) = fields.get(name) {
                        self.sites(
                            property,
                            inner,
                            format!("{pointer}/{}", pointer_token(name)),
                            out,
                        );
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.sites(&schema["items"], item, format!("{pointer}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    /// The ways to break `value` at a site governed by `schema`, each with its label.
    fn breakages(&self, schema: &Value, value: &Value) -> Vec<(String, Value)> {
        let types = Self::types(schema);
        let mut out: Vec<(String, Value)> = Vec::new();
        let allows =
            |kind: &str| types.contains(&kind) || (kind == "integer" && types.contains(&"number"));
        if !types.is_empty() {
            if !allows("string") {
                out.push(("a string for a number, object or array".into(), json!("zz")));
            }
            if !allows("integer") && !allows("number") {
                out.push(("a number for a string".into(), json!(12345)));
            }
            if !allows("boolean") && !allows("string") {
                out.push(("a boolean".into(), json!(true)));
            }
            if !allows("null") {
                out.push(("null".into(), Value::Null));
            }
        }
        if types.contains(&"integer") {
            out.push(("a fraction for an integer".into(), json!(1.5)));
        }
        if let Some(max) = schema["maximum"].as_i64() {
            out.push(("past the maximum".into(), json!(max + 1)));
        }
        if let Some(min) = schema["minimum"].as_i64() {
            out.push(("under the minimum".into(), json!(min - 1)));
        }
        if let Some(max) = schema["maxLength"].as_u64() {
            out.push(("past maxLength".into(), json!("a".repeat(max as usize + 1))));
        }
        if let Some(min) = schema["minLength"].as_u64().filter(|m| *m > 0) {
            out.push((
                "under minLength".into(),
                json!("a".repeat(min as usize - 1)),
            ));
        }
        if schema["enum"].is_array() {
            out.push(("outside the enum".into(), json!("zz-not-listed")));
        }
        if schema["pattern"].is_string() {
            let len = schema["minLength"].as_u64().unwrap_or(8).max(8) as usize;
            out.push(("breaking the pattern".into(), json!("!".repeat(len))));
        }
        if schema["format"].is_string() {
            out.push(("outside the format".into(), json!("zz-not-of-the-format")));
        }
        if let Value::Object(fields) = value {
            if schema["additionalProperties"] == false {
                let mut extra = fields.clone();
                extra.insert("zz_unknown".into(), json!(1));
                out.push(("an unknown field".into(), Value::Object(extra)));
            }
            for name in self.required(schema) {
                let mut missing = fields.clone();
                missing.remove(name);
                out.push((
                    format!("without the required `{name}`"),
                    Value::Object(missing),
                ));
            }
        }
        if let Value::Array(items) = value {
            if let Some(max) = schema["maxItems"].as_u64().filter(|m| *m <= 1_000) {
                let filler = items.first().cloned().unwrap_or(Value::Null);
                let mut long = items.clone();
                long.resize(max as usize + 1, filler);
                out.push(("past maxItems".into(), Value::Array(long)));
            }
            if schema["minItems"].as_u64().is_some_and(|m| m > 0) {
                out.push(("an empty array".into(), json!([])));
            }
        }
        out
    }
}

/// A pattern of the form `^[class]{n}$` or `^[class]{m,n}$`: its characters and lengths.
fn simple_pattern(pattern: &str) -> Option<(Vec<char>, usize, usize)> {
    let inner = pattern.strip_prefix("^[")?.strip_suffix('$')?;
    let (class, counts) = inner.split_once("]{")?;
    let counts = counts.strip_suffix('}')?;
    let (low, high) = match counts.split_once(',') {
        Some((low, high)) => (low.parse().ok()?, high.parse().ok()?),
        None => (counts.parse().ok()?, counts.parse().ok()?),
    };
    let chars: Vec<char> = class.chars().collect();
    let mut alphabet = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' {
            alphabet.extend(chars[i]..=chars[i + 2]);
            i += 3;
        } else {
            alphabet.push(chars[i]);
            i += 1;
        }
    }
    Some((alphabet, low, high))
}

/// The query parameters of an operation as one object schema: what the server reads strictly.
fn query_schema(operation: &Value) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for param in operation["parameters"].as_array().into_iter().flatten() {
        if param["in"] != "query" {
            continue;
        }
        let name = param["name"].as_str().unwrap_or_default().to_owned();
        if param["required"] == true {
            required.push(json!(name));
        }
        properties.insert(name, param["schema"].clone());
    }
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

fn query_pairs(query: &Value) -> Vec<(String, String)> {
    query
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| !v.is_null())
        .map(|(name, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (name.clone(), text)
        })
        .collect()
}

struct Sent {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
}

async fn generated_requests_get_the_answers_the_document_promises(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 4, 4, json!({})).await;
    let queued = on_sale(&app, 2, 2, 2, json!({"queue": {"enabled": true}})).await;
    let admin = app
        .account(
            "fuzz-admin@example.com",
            &[Role::Admin, Role::Organizer, Role::Staff],
        )
        .await;
    let organization = app.organization(&admin, "Fuzz").await;
    let bystander = app.account("fuzz-bystander@example.com", &[]).await;
    let (status, document) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let schemas = DocSchemas::new(&document);
    let mut ids: Vec<String> = vec![
        sale.session_id.clone(),
        sale.event_id.clone(),
        sale.product_id.clone(),
        sale.standing_section.clone(),
    ];
    ids.extend(sale.seat_ids.iter().cloned());
    ids.extend(
        sale.venue["sections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["id"].as_str().map(str::to_owned)),
    );
    ids.extend(sale.venue["id"].as_str().map(str::to_owned));
    ids.push(organization.clone());
    let path_id = |path: &str, param: &str| -> String {
        match (param, path) {
            (_, p) if p.contains("/queue") => queued.session_id.clone(),
            (_, p) if p.contains("/sessions/{id}") => sale.session_id.clone(),
            ("user_id", _) | (_, "/api/v1/admin/users/{id}/roles") => bystander.id.clone(),
            (_, p) if p.contains("/events/{id}") => sale.event_id.clone(),
            (_, p) if p.contains("/venues/{id}") => {
                sale.venue["id"].as_str().unwrap_or_default().to_owned()
            }
            (_, p) if p.contains("/products/{id}") => sale.product_id.clone(),
            (_, p) if p.contains("/organizations/{id}") => organization.clone(),
            _ => "3fa85f64-5717-4562-b3fc-2c963f66afa6".to_owned(),
        }
    };
    let mut problems: Vec<String> = Vec::new();
    let (mut valid_sent, mut invalid_sent, mut refused_by_generator) = (0, 0, 0);
    let mut successes = 0;
    for (path, method, http_method, operation) in operations(&document) {
        let mut generator = Generator {
            components: &document["components"],
            rng: StdRng::seed_from_u64(SEED ^ stable_hash(&format!("{method} {path}"))),
            ids: &ids,
            integral_floats: true,
        };
        let params: Vec<&Value> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        let query = query_schema(operation);
        let reads_query = !query["properties"].as_object().unwrap().is_empty();
        let body_at = body_pointer(path, method);
        let body_schema = schemas
            .at(&body_at)
            .filter(|_| operation["requestBody"]["content"]["application/json"].is_object());
        let send = |url_path: String,
                    query: Vec<(String, String)>,
                    headers: Vec<(String, String)>,
                    body: Option<Value>| {
            let mut url = reqwest::Url::parse(&format!("{}{url_path}", app.base)).unwrap();
            if !query.is_empty() {
                url.query_pairs_mut().extend_pairs(&query);
            }
            let mut request = app
                .client
                .request(http_method.clone(), url)
                .bearer_auth(&admin.token);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(body.to_string());
            }
            async move {
                let response = request.send().await.expect("request sent");
                Sent {
                    status: response.status(),
                    content_type: response
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned(),
                    body: response.bytes().await.unwrap_or_default().to_vec(),
                }
            }
        };
        for round in 0..VALID_CASES + INVALID_CASES {
            let breaking = round >= VALID_CASES;
            let mut url_path = path.clone();
            let mut headers = Vec::new();
            for param in &params {
                let name = param["name"].as_str().unwrap_or_default();
                if param["in"] == "path" {
                    url_path = url_path.replace(&format!("{{{name}}}"), &path_id(path, name));
                } else if param["in"] == "header" && param["required"] == true {
                    let value = generator.valid(&param["schema"], 0);
                    headers.push((name.to_owned(), value.as_str().unwrap_or("x").to_owned()));
                }
            }
            generator.integral_floats = false;
            let mut query_value = generator.valid(&query, 0);
            generator.integral_floats = true;
            let mut body = body_schema.map(|schema| generator.valid(schema, 0));
            if let Some(sent) = &body
                && !schemas.is_valid(&body_at, sent)
            {
                refused_by_generator += 1;
                continue;
            }
            let mut label = "a request the schema allows".to_owned();
            if breaking {
                // What to break: the body, the query string, or the id in the path.
                let mut targets = Vec::new();
                if body.is_some() {
                    targets.extend(["body"; 3]);
                }
                if reads_query {
                    targets.extend(["query"; 2]);
                }
                if path.contains("{id}") {
                    targets.push("path");
                }
                let Some(target) = targets.choose(&mut generator.rng).copied() else {
                    continue;
                };
                let (schema, value, query_level) = match target {
                    "body" => (body_schema.unwrap(), body.as_mut().unwrap(), false),
                    "query" => (&query, &mut query_value, true),
                    _ => {
                        let id = path_id(path, "id");
                        url_path = url_path.replacen(&id, "not-an-id", 1);
                        label = "a malformed id in the path".into();
                        (&query, &mut query_value, true)
                    }
                };
                if target != "path" {
                    let mut sites = Vec::new();
                    generator.sites(schema, value, String::new(), &mut sites);
                    let mut broken = None;
                    for _ in 0..10 {
                        let Some((at, site)) = sites.choose(&mut generator.rng).cloned() else {
                            break;
                        };
                        let current = value.pointer(&at).cloned().unwrap_or(Value::Null);
                        let ways = generator.breakages(site, &current);
                        let Some((how, replacement)) = ways.choose(&mut generator.rng).cloned()
                        else {
                            continue;
                        };
                        // In a query string every value is text (a number for a string is
                        // still text), and the string itself is read as its parameters.
                        let text_only = ["a number for a string", "a boolean", "null"];
                        let keeps_shape =
                            how == "an unknown field" || how.starts_with("without the required");
                        if query_level
                            && (text_only.contains(&how.as_str())
                                || (at.is_empty() && !keeps_shape))
                        {
                            continue;
                        }
                        let mut candidate = value.clone();
                        match candidate.pointer_mut(&at) {
                            Some(slot) => *slot = replacement,
                            None => continue,
                        }
                        let still_valid = if query_level {
                            schemas.validator_of(schema).is_valid(&candidate)
                        } else {
                            schemas.is_valid(&body_at, &candidate)
                        };
                        if !still_valid {
                            broken = Some((format!("{target} `{at}`: {how}"), candidate));
                            break;
                        }
                    }
                    let Some((how, candidate)) = broken else {
                        continue;
                    };
                    *value = candidate;
                    label = how;
                }
            }
            let answer = send(url_path, query_pairs(&query_value), headers, body.clone()).await;
            let shown =
                || String::from_utf8_lossy(&answer.body[..answer.body.len().min(300)]).into_owned();
            let mut verdict = schemas.check_answer(
                path,
                method,
                answer.status,
                &answer.content_type,
                &answer.body,
            );
            if breaking {
                invalid_sent += 1;
                if !answer.status.is_client_error() {
                    verdict = Some(format!(
                        "answered {} to a request the document refuses: {}",
                        answer.status,
                        shown()
                    ));
                }
            } else {
                valid_sent += 1;
                successes += usize::from(answer.status.is_success());
                let answered: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
                if verdict.is_none() && answered["code"] == "validation_failed" {
                    let undocumented: Vec<String> = answered["errors"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|e| {
                            let shape = field_shape(e["field"].as_str().unwrap_or_default());
                            !RULES_BEYOND_THE_SCHEMA.iter().any(|(f, _)| *f == shape)
                        })
                        .map(|e| {
                            format!(
                                "`{}` {}",
                                e["field"].as_str().unwrap_or_default(),
                                e["message"].as_str().unwrap_or_default()
                            )
                        })
                        .collect();
                    if !undocumented.is_empty() {
                        verdict = Some(format!(
                            "refused what the schema allows (a rule the document does not say): {}",
                            undocumented.join("; ")
                        ));
                    }
                }
            }
            if let Some(problem) = verdict {
                problems.push(format!(
                    "{} {path} with {label} (query {}, body {}): {problem}",
                    method.to_uppercase(),
                    query_value,
                    body.map(|b| b.to_string()).unwrap_or_default(),
                ));
            }
        }
    }
    eprintln!(
        "{valid_sent} requests the document allows ({successes} answered 2xx), {invalid_sent} it \
         refuses; {refused_by_generator} generated bodies were not valid and not sent"
    );
    assert!(
        valid_sent > 300 && invalid_sent > 300,
        "only {valid_sent} allowed and {invalid_sent} refused requests were made"
    );
    assert!(
        refused_by_generator * 4 < valid_sent,
        "{refused_by_generator} generated bodies were not valid by the document"
    );
    assert!(
        problems.is_empty(),
        "{} answers are not as the document promises:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
