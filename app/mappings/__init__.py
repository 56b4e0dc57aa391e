"""Column mappings that read other tools' exports (survey tools, HRIS) in the survey and employee imports."""
