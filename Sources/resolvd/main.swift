// The resolvd executable; see ResolvdServer.
print("resolvd: under construction")
