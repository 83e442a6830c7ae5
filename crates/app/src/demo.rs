//! Demo community seeding (filled in below).
