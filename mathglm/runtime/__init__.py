"""What a run does on this machine: numeric precision per machine (`precision`) and compiling the model
(`compile`). The model file stays free of device, precision and compile logic; training and inference both ask
here."""
