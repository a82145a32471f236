print("resolvd: under construction")
