//! The vocabulary of bilheteria: identifiers, validated input types, records and the pure rules
//! that govern them. Nothing in this crate does I/O or reads the clock; callers pass time in.

pub mod account;
pub mod audit;
pub mod back_office;
pub mod bordero;
pub mod catalog;
pub mod clock;
pub mod gate;
pub mod half_price;
pub mod ids;
pub mod images;
pub mod inventory;
pub mod locale;
pub mod openapi;
pub mod organization;
pub mod page;
pub mod pix;
pub mod place;
pub mod queue;
pub mod resale;
pub mod sales;
pub mod screen;
pub mod seating;
pub mod text;
pub mod tickets;
pub mod transfers;
pub mod validation;
pub mod wallet;

pub use validation::{FieldError, FieldErrors, FieldProblem};
