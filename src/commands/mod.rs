//! Headless commands (minimal in the sandbox branch; the lead wires the full CLI).
pub mod sandbox;
