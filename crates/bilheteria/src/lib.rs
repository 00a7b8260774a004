//! The bilheteria server: HTTP API, authentication, authorization and the command line's
//! building blocks. The binary (`main.rs`) only parses the command line and dispatches.

pub mod app;
pub mod auth;
pub mod authz;
pub mod bench;
pub mod cli;
pub mod http;
pub mod loadtest;
pub mod mail;
pub mod payments;
pub mod paysim;
pub mod queue;
pub mod ratelimit;
pub mod sales;
pub mod ticket_keys;
pub mod workers;
