print("i2osim")
