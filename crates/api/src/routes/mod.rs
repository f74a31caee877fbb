//! The routes, one module per resource. Each handler authenticates through `Caller`, names its
//! action to the role table, and answers through `problem` on failure.

pub mod admin;
pub mod child;
pub mod children;
pub mod health;
pub mod reads;
pub mod records;
pub mod report;
pub mod returns;
pub mod review;
pub mod signin;
pub mod tokens;
