//! A schema-driven check of the served OpenAPI document against the real server, on both
//! backends: every operation gets requests made from its own schema (a valid example, values
//! just past each bound, unknown fields and parameters, wrong types), each body judged first by
//! a JSON Schema validator reading the document (the example must pass, the others must not),
//! and every answer must be one the document lists for that operation: never a 500, an error
//! as problem+json with a `code`, every JSON body valid by the schema documented for it.

use crate::openapi_schema::{DocSchemas, body_pointer, operations};
use bilheteria_domain::account::Role;
use bilheteria_store::on_both_backends;
use bilheteria_store::testing::TestDatabase;
use bilheteria_testkit::{TestApp, on_sale};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

on_both_backends!(every_operation_answers_as_its_document_says);

struct Doc<'a> {
    root: &'a Value,
}

impl<'a> Doc<'a> {
    /// The schema itself, behind any `$ref`.
    fn resolve(&self, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str() {
            Some(path) => {
                let pointer = path.trim_start_matches('#');
                self.resolve(self.root.pointer(pointer).unwrap_or(&Value::Null))
            }
            None => match (&schema["allOf"], &schema["oneOf"], &schema["anyOf"]) {
                (Value::Array(all), _, _) if all.len() == 1 => self.resolve(&all[0]),
                (_, Value::Array(one), _) | (_, _, Value::Array(one)) => one
                    .iter()
                    .map(|s| self.resolve(s))
                    .find(|s| s["type"] != "null")
                    .unwrap_or(schema),
                _ => schema,
            },
        }
    }

    /// The first type named that is not `null`.
    fn kind(&self, schema: &'a Value) -> &'a str {
        let schema = self.resolve(schema);
        match &schema["type"] {
            Value::String(kind) => kind,
            Value::Array(kinds) => kinds
                .iter()
                .filter_map(Value::as_str)
                .find(|k| *k != "null")
                .unwrap_or("null"),
            _ if schema["properties"].is_object() => "object",
            _ => "",
        }
    }

    /// A value the schema allows: required fields only, the first enum value, bounds kept.
    fn example(&self, schema: &'a Value, depth: usize) -> Value {
        let schema = self.resolve(schema);
        if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
            return first.clone();
        }
        match self.kind(schema) {
            "object" if depth < 6 => {
                let mut object = Map::new();
                for name in schema["required"].as_array().into_iter().flatten() {
                    let name = name.as_str().unwrap_or_default();
                    object.insert(
                        name.to_owned(),
                        self.example(&schema["properties"][name], depth + 1),
                    );
                }
                Value::Object(object)
            }
            "array" => {
                let items = schema["minItems"].as_u64().unwrap_or(0).max(1);
                Value::Array(
                    (0..items)
                        .map(|_| self.example(&schema["items"], depth + 1))
                        .collect(),
                )
            }
            "string" => json!(match schema["format"].as_str() {
                Some("uuid") => "3fa85f64-5717-4562-b3fc-2c963f66afa6".to_owned(),
                Some("date-time") => "2030-01-01T20:00:00Z".to_owned(),
                Some("email") => "schema-check@example.com".to_owned(),
                _ => "a".repeat(schema["minLength"].as_u64().unwrap_or(1).max(1) as usize),
            }),
            "integer" => json!(
                schema["minimum"].as_i64().unwrap_or(1).max(
                    schema["exclusiveMinimum"]
                        .as_i64()
                        .map_or(i64::MIN, |m| m + 1)
                )
            ),
            "number" => json!(schema["minimum"].as_f64().unwrap_or(1.0)),
            "boolean" => json!(false),
            _ => Value::Null,
        }
    }

    /// Values just outside what `schema` allows, and of the wrong type, each with its label.
    fn invalid_values(&self, schema: &'a Value) -> Vec<(&'static str, Value)> {
        let schema = self.resolve(schema);
        let mut values = Vec::new();
        match self.kind(schema) {
            "integer" | "number" => {
                values.push(("a string for a number", json!("abc")));
                if let Some(max) = schema["maximum"].as_i64() {
                    values.push(("past the maximum", json!(max + 1)));
                }
                if let Some(min) = schema["minimum"].as_i64() {
                    values.push(("under the minimum", json!(min - 1)));
                }
            }
            "string" => {
                values.push(("a number for a string", json!(12345)));
                if let Some(max) = schema["maxLength"].as_u64() {
                    values.push(("past maxLength", json!("0".repeat(max as usize + 1))));
                }
                if schema["enum"].is_array() || schema["format"].is_string() {
                    values.push(("outside the enum or format", json!("zz-not-valid")));
                }
            }
            "boolean" => values.push(("a string for a boolean", json!("yes"))),
            "array" => values.push(("an object for an array", json!({}))),
            "object" => values.push(("an array for an object", json!([]))),
            _ => {}
        }
        values
    }
}

/// One request made from the document, and what it is.
struct Case {
    label: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
    /// What the document refuses: a success is wrong.
    refused: bool,
    /// A field whose value here the document allows: a refusal naming it is wrong.
    allowed: Option<String>,
    /// The body is made to break the schema (when `refused`): the other cases send a body the
    /// schema must allow.
    body_mutated: bool,
}

fn query_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn cases(doc: &Doc<'_>, operation: &Value) -> Vec<Case> {
    let mut cases = Vec::new();
    let params: Vec<&Value> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .collect();
    let valid_query: Vec<(String, String)> = params
        .iter()
        .filter(|p| p["required"] == true)
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                query_text(&doc.example(&p["schema"], 0)),
            )
        })
        .collect();
    let body_schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    let valid_body = (!body_schema.is_null()).then(|| doc.example(body_schema, 0));
    cases.push(Case {
        label: "the schema's own example".into(),
        query: valid_query.clone(),
        body: valid_body.clone(),
        refused: false,
        allowed: None,
        body_mutated: false,
    });
    let mut unknown = valid_query.clone();
    unknown.push(("zz_unknown".into(), "1".into()));
    cases.push(Case {
        label: "an unknown query parameter".into(),
        query: unknown,
        body: valid_body.clone(),
        // Only query structs are read strictly; an operation without one ignores a query.
        refused: !params.is_empty(),
        allowed: None,
        body_mutated: false,
    });
    for param in &params {
        let name = param["name"].as_str().unwrap_or_default();
        let mut values: Vec<(String, Value, bool)> = doc
            .invalid_values(&param["schema"])
            .into_iter()
            // In a query string every value is text: a number is a string too.
            .filter(|(label, _)| *label != "a number for a string")
            .map(|(label, v)| (label.to_owned(), v, true))
            .collect();
        values.push((
            "its example".into(),
            doc.example(&param["schema"], 0),
            false,
        ));
        for (label, value, refused) in values {
            let mut query: Vec<(String, String)> = valid_query
                .iter()
                .filter(|(n, _)| n != name)
                .cloned()
                .collect();
            query.push((name.to_owned(), query_text(&value)));
            cases.push(Case {
                label: format!("query `{name}`: {label}"),
                query,
                body: valid_body.clone(),
                refused,
                allowed: None,
                body_mutated: false,
            });
        }
    }
    if let Some(valid) = &valid_body {
        let schema = doc.resolve(body_schema);
        cases.push(Case {
            label: "an empty body".into(),
            query: valid_query.clone(),
            body: Some(json!({})),
            refused: schema["required"].as_array().is_some_and(|r| !r.is_empty()),
            allowed: None,
            body_mutated: true,
        });
        cases.push(Case {
            label: "an array for the body".into(),
            query: valid_query.clone(),
            body: Some(json!([])),
            refused: true,
            allowed: None,
            body_mutated: true,
        });
        if let Value::Object(fields) = valid {
            let mut extra = fields.clone();
            extra.insert("zz_unknown".into(), json!(1));
            cases.push(Case {
                label: "an unknown body field".into(),
                query: valid_query.clone(),
                body: Some(Value::Object(extra)),
                // A free-form object (the provider's webhook event) takes any field.
                refused: schema["additionalProperties"] == false,
                allowed: None,
                body_mutated: true,
            });
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                let mut values: Vec<(String, Value, bool)> = doc
                    .invalid_values(property)
                    .into_iter()
                    .map(|(label, v)| (label.to_owned(), v, false))
                    .collect();
                if doc.kind(property) == "integer" {
                    // A JSON number with a zero fraction is the same integer.
                    let example = doc.example(property, 1).as_i64().unwrap_or(1);
                    values.push((
                        "an integer written 402.0".into(),
                        json!(example as f64),
                        true,
                    ));
                }
                for (label, value, allowed) in values {
                    let mut body = fields.clone();
                    body.insert(name.clone(), value);
                    cases.push(Case {
                        label: format!("body `{name}`: {label}"),
                        query: valid_query.clone(),
                        body: Some(Value::Object(body)),
                        refused: !allowed,
                        allowed: allowed.then(|| name.clone()),
                        body_mutated: true,
                    });
                }
            }
        }
    }
    cases
}

async fn every_operation_answers_as_its_document_says(db: TestDatabase) {
    let app = TestApp::spawn(db).await;
    let sale = on_sale(&app, 4, 4, 4, json!({})).await;
    let admin = app
        .account(
            "schema-check@example.com",
            &[Role::Admin, Role::Organizer, Role::Staff],
        )
        .await;
    let organization = app.organization(&admin, "Schema").await;
    let (status, document) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let doc = Doc { root: &document };
    let schemas = DocSchemas::new(&document);
    // Real objects where a path names one, so that requests get past the lookup.
    let real_id = |path: &str, param: &str| -> String {
        let id = match (param, path) {
            (_, p) if p.contains("/sessions/{id}") || p.contains("/sessions/{session_id}") => {
                &sale.session_id
            }
            (_, p) if p.contains("/events/{id}") => &sale.event_id,
            (_, p) if p.contains("/venues/{id}") => sale.venue["id"].as_str().unwrap_or_default(),
            (_, p) if p.contains("/products/{id}") => &sale.product_id,
            (_, p) if p.contains("/organizations/{id}") && param == "id" => &organization,
            ("user_id", _) | (_, "/api/v1/admin/users/{id}/roles") => &admin.id,
            _ => "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        };
        id.to_owned()
    };
    let mut problems = Vec::new();
    let mut requests = 0;
    for (path, method, http_method, operation) in operations(&document) {
        let mut url_path = path.clone();
        for param in operation["parameters"].as_array().into_iter().flatten() {
            if param["in"] == "path" {
                let name = param["name"].as_str().unwrap_or_default();
                url_path = url_path.replace(&format!("{{{name}}}"), &real_id(path, name));
            }
        }
        let headers: Vec<(String, String)> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "header" && p["required"] == true)
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default().to_owned(),
                    format!("schema-check-{requests}"),
                )
            })
            .collect();
        let body_schema = body_pointer(path, method);
        for case in cases(&doc, operation) {
            requests += 1;
            if let Some(sent) = &case.body {
                // The request itself, judged by the document's validator.
                let errors = schemas.errors(&body_schema, sent);
                let expected_valid = !(case.body_mutated && case.refused);
                if errors.is_empty() != expected_valid {
                    problems.push(format!(
                        "{} {path} with {}: the document's schema {} the body {sent} {}",
                        method.to_uppercase(),
                        case.label,
                        if errors.is_empty() {
                            "allows"
                        } else {
                            "refuses"
                        },
                        errors.join("; ")
                    ));
                }
            }
            let mut url = reqwest::Url::parse(&format!("{}{url_path}", app.base)).unwrap();
            if !case.query.is_empty() {
                url.query_pairs_mut().extend_pairs(&case.query);
            }
            let mut request = app
                .client
                .request(http_method.clone(), url)
                .bearer_auth(&admin.token);
            for (name, value) in &headers {
                request = request.header(name, format!("{value}-{requests}"));
            }
            if let Some(body) = &case.body {
                request = request.json(body);
            }
            let response = request.send().await.expect("request sent");
            let status = response.status();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = response.bytes().await.unwrap_or_default();
            let verdict = if case.refused && status.is_success() {
                Some(format!("accepted it ({status})"))
            } else if case.allowed.as_ref().is_some_and(|field| {
                status == StatusCode::UNPROCESSABLE_ENTITY
                    && String::from_utf8_lossy(&body).contains(&format!(
                        "\"field\":\"{field}\",\"message\":\"invalid type: floating point"
                    ))
            }) {
                Some(format!(
                    "refused it: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ))
            } else {
                schemas.check_answer(path, method, status, &content_type, &body)
            };
            if let Some(problem) = verdict {
                problems.push(format!(
                    "{} {path} with {}: {problem}",
                    method.to_uppercase(),
                    case.label
                ));
            }
        }
    }
    assert!(requests > 300, "only {requests} requests were made");
    assert!(
        problems.is_empty(),
        "{} of {requests} answers are not as documented:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
