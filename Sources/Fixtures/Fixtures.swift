import IOPModel
