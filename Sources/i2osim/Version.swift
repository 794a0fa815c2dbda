/// The version of i2osim: `i2osim --version` prints it; the one place it is written.
let i2osimVersion = "0.1.0"
