//! The integration tests of the whole server: the real app on a loopback port over real HTTP,
//! each storage test on both backends, in one binary (each test binary links the whole server).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod account_pages;
mod accounts;
mod audit_and_operations;
mod bordero;
mod browser;
mod buyer_pages;
mod buying;
mod cancel_event;
mod catalog;
mod connections;
mod credentials;
mod door;
mod door_browser;
mod gate;
mod half_price;
mod images;
mod loadtest;
mod mails;
mod openapi_check;
mod openapi_fuzz;
mod openapi_schema;
mod order_lines;
mod organizations;
mod organizer_pages;
mod pages;
mod paysim;
mod pix;
mod printing;
mod queue_state;
mod race;
mod resale;
mod session_orders;
mod session_pages;
mod station;
mod transfers;
mod venues;
mod waiting_room;
mod wallet;
