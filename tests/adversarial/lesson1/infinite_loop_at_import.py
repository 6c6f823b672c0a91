# attack: never finishes importing
while True:
    pass
