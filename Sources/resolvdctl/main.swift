print("resolvdctl: under construction")
