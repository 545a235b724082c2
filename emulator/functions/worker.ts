// placeholder replaced by the functions service
