//! Harness for whole-binary tests.
