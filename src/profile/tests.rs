//! Tests of the profile stage.
